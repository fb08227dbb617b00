import { DEFAULTS, keyOf, maxStoredSetBytes } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PARSE_LIMITS, heldKey, parsePublishedEntry, parseStoredRecord, publishedKey } from '../src/stored-record.ts'

const key = keyOf('alice')
const value = new TextEncoder().encode('hello')

describe('parseStoredRecord', () => {
  it('reads back a record as IdbRecordStore wrote it', () => {
    expect(parseStoredRecord({ key, value, expiresAt: 1234 })).toEqual({ key, value, expiresAt: 1234 })
  })

  it('keeps only the record fields, dropping anything extra', () => {
    expect(parseStoredRecord({ key, value, expiresAt: 1, extra: 'x' })).toEqual({ key, value, expiresAt: 1 })
  })

  it('drops entries that are not objects', () => {
    for (const raw of [undefined, null, 42, 'record', [key, value, 1]]) expect(parseStoredRecord(raw)).toBeUndefined()
  })

  it('drops a key that is not 20 bytes', () => {
    expect(parseStoredRecord({ key: key.subarray(0, 19), value, expiresAt: 1 })).toBeUndefined()
    expect(parseStoredRecord({ key: [...key], value, expiresAt: 1 })).toBeUndefined()
    expect(parseStoredRecord({ key: 'a'.repeat(40), value, expiresAt: 1 })).toBeUndefined()
  })

  it('drops a value that is not bytes or is larger than the limit', () => {
    expect(parseStoredRecord({ key, value: 'hello', expiresAt: 1 })).toBeUndefined()
    // A stored value is a key's set of signed records: at most every slot with the largest value.
    const max = DEFAULT_PARSE_LIMITS.maxValueBytes
    expect(max).toBe(maxStoredSetBytes(DEFAULTS.maxValueBytes, DEFAULTS.maxPublishersPerKey))
    expect(parseStoredRecord({ key, value: new Uint8Array(max + 1), expiresAt: 1 })).toBeUndefined()
    expect(parseStoredRecord({ key, value: new Uint8Array(max), expiresAt: 1 })).toBeDefined()
  })

  it('drops a missing, negative or non-finite expiry', () => {
    for (const expiresAt of [undefined, -1, Number.NaN, Infinity, '1']) {
      expect(parseStoredRecord({ key, value, expiresAt })).toBeUndefined()
    }
  })
})

describe('parsePublishedEntry', () => {
  const entry = { key, value, ttlMs: 60_000, expiresAt: 99, name: 'alice' }

  it('reads back a published entry, with or without its name', () => {
    expect(parsePublishedEntry(entry)).toEqual(entry)
    expect(parsePublishedEntry({ ...entry, name: undefined })).toEqual({ ...entry, name: undefined })
  })

  it('drops a TTL that is not a whole number of ms within the core’s maximum', () => {
    for (const ttlMs of [0, -5, 1.5, DEFAULTS.maxTtlMs + 1, '60000', undefined]) {
      expect(parsePublishedEntry({ ...entry, ttlMs })).toBeUndefined()
    }
  })

  it('drops a name that is not text or absurdly long', () => {
    expect(parsePublishedEntry({ ...entry, name: 7 })).toBeUndefined()
    expect(parsePublishedEntry({ ...entry, name: 'x'.repeat(5000) })).toBeUndefined()
  })
})

describe('IndexedDB keys', () => {
  it('file held and published records apart, by key hex', () => {
    expect(heldKey(key)).toMatch(/^r:[0-9a-f]{40}$/)
    expect(publishedKey(key)).toMatch(/^p:[0-9a-f]{40}$/)
  })
})
