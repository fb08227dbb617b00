import { DEFAULTS, ID_BYTES, keyOf, maxStoredSetBytes, type StoredRecord, toHex } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  encodeStoredFile,
  maxRecordFileBytes,
  DEFAULT_RECORD_FILE_LIMITS,
  parseStoredFile,
  RECORD_FILE_NAME,
  RECORD_FILE_OVERHEAD_BYTES,
  RecordFileErrorCode,
  recordFileName,
  RecordFileWriteError,
} from '../src/node/record-file.ts'
import { plausible } from './helpers.ts'

const record: StoredRecord = { key: keyOf('alice'), value: new TextEncoder().encode('hello'), expiresAt: 1_700_000_000_000 }
const name = recordFileName(record.key)
const codeOf = (bytes: Uint8Array, fileName = name) => {
  const parsed = parseStoredFile(fileName, bytes)
  return parsed.ok ? 'ok' : parsed.error.code
}

describe('parseStoredFile', () => {
  it('reads back what encodeStoredFile wrote, as plain Uint8Arrays', () => {
    const parsed = parseStoredFile(name, encodeStoredFile(record))
    expect(parsed).toEqual({ ok: true, record })
    if (parsed.ok) expect(parsed.record.value.constructor).toBe(Uint8Array)
  })

  it('names a file after its key in lowercase hex', () => {
    expect(name).toBe(`${toHex(record.key)}.rec`)
    expect(RECORD_FILE_NAME.test(name)).toBe(true)
  })

  it('refuses files whose name is not <40 hex>.rec', () => {
    const bytes = encodeStoredFile(record)
    for (const other of ['notes.txt', name.toUpperCase(), `${name}.tmp`, `.tmp-${name}`, name.slice(1), `x${name}`]) {
      expect(codeOf(bytes, other)).toBe(RecordFileErrorCode.FOREIGN_NAME)
    }
  })

  it('refuses a file filed under another key', () => {
    expect(codeOf(encodeStoredFile(record), recordFileName(keyOf('bob')))).toBe(RecordFileErrorCode.KEY_MISMATCH)
  })

  it('refuses truncated files and files with trailing bytes', () => {
    const bytes = encodeStoredFile(record)
    expect(codeOf(new Uint8Array(0))).toBe(RecordFileErrorCode.TRUNCATED)
    expect(codeOf(bytes.subarray(0, 10))).toBe(RecordFileErrorCode.TRUNCATED)
    expect(codeOf(bytes.subarray(0, bytes.length - 1))).toBe(RecordFileErrorCode.TRUNCATED)
    expect(codeOf(Uint8Array.of(...bytes, 0))).toBe(RecordFileErrorCode.TRAILING_BYTES)
  })

  it('refuses other formats, versions and flipped bits', () => {
    const bytes = encodeStoredFile(record)
    const changed = (at: number, byte: number) => Uint8Array.from(bytes, (b, i) => (i === at ? byte : b))
    expect(codeOf(new TextEncoder().encode(JSON.stringify({ key: toHex(record.key), value: 'hello' }).padEnd(60)))).toBe(RecordFileErrorCode.BAD_MAGIC)
    expect(codeOf(changed(4, 2))).toBe(RecordFileErrorCode.BAD_VERSION)
    expect(codeOf(changed(bytes.length - 7, bytes[bytes.length - 7]! ^ 1))).toBe(RecordFileErrorCode.BAD_CHECKSUM)
    expect(codeOf(changed(bytes.length - 1, bytes[bytes.length - 1]! ^ 1))).toBe(RecordFileErrorCode.BAD_CHECKSUM)
  })

  it('refuses an expiry that is not a finite time ≥ 0', () => {
    for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      const bytes = encodeStoredFile(record)
      new DataView(bytes.buffer).setFloat64(25, expiresAt)
      expect(codeOf(bytes)).toBe(RecordFileErrorCode.BAD_EXPIRY)
    }
  })

  it('accepts a value of exactly the limit and refuses larger ones, without reading oversized files', () => {
    // A stored value is a key's set of signed records: every slot with the largest value, at most.
    const limit = maxStoredSetBytes(DEFAULTS.maxValueBytes, DEFAULTS.maxPublishersPerKey)
    expect(DEFAULT_RECORD_FILE_LIMITS.maxValueBytes).toBe(limit)
    const largest = { ...record, value: new Uint8Array(limit) }
    expect(codeOf(encodeStoredFile(largest))).toBe('ok')
    expect(maxRecordFileBytes(DEFAULT_RECORD_FILE_LIMITS)).toBe(limit + RECORD_FILE_OVERHEAD_BYTES)
    const larger = encodeStoredFile({ ...record, value: new Uint8Array(100) }, { maxValueBytes: 100 })
    expect(parseStoredFile(name, larger, { maxValueBytes: 99 })).toMatchObject({ ok: false, error: { code: RecordFileErrorCode.TOO_LARGE } })
    const header = encodeStoredFile(record)
    new DataView(header.buffer).setUint32(33, 0xffff_ffff)
    expect(codeOf(header)).toBe(RecordFileErrorCode.VALUE_TOO_LARGE)
  })

  it('never throws on random bytes, and accepts only records that match their name and sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ maxLength: 200 }), fc.nat(2), (key, tail, shape) => {
        const bytes = plausible(key, tail, shape)
        const fileName = recordFileName(key)
        const parsed = parseStoredFile(fileName, bytes, { maxValueBytes: 100 })
        if (!parsed.ok) return
        expect(parsed.record.key.length).toBe(ID_BYTES)
        expect(recordFileName(parsed.record.key)).toBe(fileName)
        expect(parsed.record.value.length).toBeLessThanOrEqual(100)
        expect(bytes.length).toBe(parsed.record.value.length + RECORD_FILE_OVERHEAD_BYTES)
      }),
      { numRuns: 2000 },
    )
  })

  it('never accepts a valid file with a byte changed or cut short', () => {
    const arbitraryRecord = fc.record({
      key: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      value: fc.uint8Array({ maxLength: 300 }),
      expiresAt: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
    })
    fc.assert(
      fc.property(arbitraryRecord, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (stored, at, xor, cut) => {
        const bytes = encodeStoredFile(stored)
        expect(parseStoredFile(recordFileName(stored.key), bytes)).toEqual({ ok: true, record: stored })
        const position = at % bytes.length
        const damaged = cut ? bytes.subarray(0, position) : Uint8Array.from(bytes, (b, i) => (i === position ? b ^ xor : b))
        expect(parseStoredFile(recordFileName(stored.key), damaged).ok).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('encodeStoredFile', () => {
  it('refuses to write a record it could not read back', () => {
    expect(() => encodeStoredFile({ ...record, key: new Uint8Array(19) })).toThrow(RecordFileWriteError)
    expect(() => encodeStoredFile({ ...record, value: new Uint8Array(DEFAULT_RECORD_FILE_LIMITS.maxValueBytes + 1) })).toThrow(RecordFileWriteError)
    expect(() => encodeStoredFile({ ...record, expiresAt: Number.NaN })).toThrow(RecordFileWriteError)
    expect(() => encodeStoredFile({ ...record, expiresAt: -5 })).toThrow(RecordFileWriteError)
  })
})
