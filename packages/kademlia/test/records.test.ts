import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { keyOf } from '../src/keyspace/id.ts'
import type { StoredRecord } from '../src/records/record-store.ts'
import { MemoryRecordStore } from '../src/records/record-store.ts'
import type { RecordLimits } from '../src/records/records.ts'
import { Records } from '../src/records/records.ts'
import { codeOf } from './support.ts'

const LIMITS: RecordLimits = { maxValueBytes: 100, maxRecords: 3, maxStoredBytes: 200, maxTtlMs: 10_000 }
const K1 = keyOf('one')
const K2 = keyOf('two')
const K3 = keyOf('three')
const K4 = keyOf('four')
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)

function setup(limits: Partial<RecordLimits> = {}): { store: MemoryRecordStore; records: Records } {
  const store = new MemoryRecordStore()
  return { store, records: new Records(store, { ...LIMITS, ...limits }) }
}


const DISK_FULL = new Error('disk full')

/** A store whose put() rejects with DISK_FULL while `failing` is set. */
class FlakyStore extends MemoryRecordStore {
  failing = false
  override async put(record: StoredRecord): Promise<void> {
    if (this.failing) throw DISK_FULL
    return super.put(record)
  }
}

async function valueOf(records: Records, key: Id, now: number): Promise<number[] | undefined> {
  const found = await records.read(key, now)
  return found === undefined ? undefined : [...found.value]
}

describe('Records.accept', () => {
  it('stores a published record and reads it back with its remaining TTL', async () => {
    const { store, records } = setup()
    expect(await records.accept(K1, bytes(3), 1000, 'publish', 0)).toBe('stored')
    expect(await records.read(K1, 400)).toEqual({ value: bytes(3), ttlMs: 600 })
    expect(store.size).toBe(1)
    expect(records.count).toBe(1)
    expect(records.bytes).toBe(3)
  })

  it('replaces value and expiry on a publish over a live record', async () => {
    const { records } = setup()
    await records.accept(K1, bytes(3, 1), 5000, 'publish', 0)
    expect(await records.accept(K1, bytes(5, 2), 1000, 'publish', 100)).toBe('stored')
    expect(await records.read(K1, 200)).toEqual({ value: bytes(5, 2), ttlMs: 900 })
    expect(records.bytes).toBe(5)
    expect(records.count).toBe(1)
  })

  it('never lets a replicate or cache STORE overwrite a live record, only extend its expiry', async () => {
    const { records } = setup()
    await records.accept(K1, bytes(3, 1), 1000, 'publish', 0)
    expect(await records.accept(K1, bytes(4, 9), 5000, 'replicate', 10)).toBe('kept')
    expect(await valueOf(records, K1, 20)).toEqual([1, 1, 1])
    expect(records.meta(K1)).toMatchObject({ expiresAt: 5010, replicatedAt: 10 })
    expect(await records.accept(K1, bytes(4, 8), 100, 'cache', 30)).toBe('kept')
    expect(await valueOf(records, K1, 40)).toEqual([1, 1, 1])
    expect(records.meta(K1)).toMatchObject({ expiresAt: 5010, replicatedAt: 10 })
    expect(records.bytes).toBe(3)
  })

  it('lets a replicate or cache STORE fill a missing or expired record', async () => {
    const { records } = setup()
    expect(await records.accept(K1, bytes(2, 4), 1000, 'replicate', 50)).toBe('stored')
    expect(records.meta(K1)?.replicatedAt).toBe(50)
    await records.accept(K2, bytes(2, 1), 100, 'publish', 0)
    expect(await records.accept(K2, bytes(2, 7), 100, 'cache', 100)).toBe('stored')
    expect(await valueOf(records, K2, 150)).toEqual([7, 7])
    expect(records.meta(K2)?.replicatedAt).toBe(0)
  })

  it('rejects a TTL that is zero, negative, fractional, not finite or above maxTtlMs with ERR_INVALID_TTL', async () => {
    const { records, store } = setup()
    for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, LIMITS.maxTtlMs + 1]) {
      expect(await codeOf(records.accept(K1, bytes(1), ttl, 'publish', 0))).toBe(ErrorCode.INVALID_TTL)
    }
    expect(await records.accept(K1, bytes(1), LIMITS.maxTtlMs, 'publish', 0)).toBe('stored')
    expect(store.size).toBe(1)
  })

  it('rejects a value over maxValueBytes with ERR_VALUE_TOO_LARGE', async () => {
    const { records } = setup()
    expect(await codeOf(records.accept(K1, bytes(101), 10, 'publish', 0))).toBe(ErrorCode.VALUE_TOO_LARGE)
    expect(records.count).toBe(0)
  })
})

describe('Records storage limits', () => {
  it('throws ERR_STORAGE_FULL at maxRecords and keeps what was stored', async () => {
    const { records, store } = setup()
    for (const key of [K1, K2, K3]) await records.accept(key, bytes(1), 1000, 'publish', 0)
    expect(await codeOf(records.accept(K4, bytes(1), 1000, 'publish', 0))).toBe(ErrorCode.STORAGE_FULL)
    expect(await codeOf(records.accept(K4, bytes(1), 1000, 'replicate', 0))).toBe(ErrorCode.STORAGE_FULL)
    expect(records.count).toBe(3)
    expect(store.size).toBe(3)
    expect(records.meta(K4)).toBeUndefined()
    // Replacing a key already held does not need a new slot.
    expect(await records.accept(K1, bytes(2), 1000, 'publish', 1)).toBe('stored')
  })

  it('throws ERR_STORAGE_FULL past maxStoredBytes and keeps what was stored', async () => {
    const { records, store } = setup()
    await records.accept(K1, bytes(100, 1), 1000, 'publish', 0)
    await records.accept(K2, bytes(90, 2), 1000, 'publish', 0)
    expect(await codeOf(records.accept(K3, bytes(11), 1000, 'publish', 0))).toBe(ErrorCode.STORAGE_FULL)
    expect(records.meta(K3)).toBeUndefined()
    expect(records.bytes).toBe(190)
    expect(store.size).toBe(2)
    expect(await valueOf(records, K2, 0)).toEqual([...bytes(90, 2)])
    expect(await records.accept(K3, bytes(10), 1000, 'publish', 0)).toBe('stored')
    expect(records.bytes).toBe(200)
  })

  it('counts the replaced record when a publish grows a value, and refuses growth past the budget', async () => {
    const { records } = setup({ maxValueBytes: 150 })
    await records.accept(K1, bytes(100, 1), 1000, 'publish', 0)
    await records.accept(K2, bytes(90, 2), 1000, 'publish', 0)
    expect(await records.accept(K2, bytes(100, 3), 1000, 'publish', 1)).toBe('stored')
    expect(records.bytes).toBe(200)
    expect(await codeOf(records.accept(K2, bytes(101, 4), 1000, 'publish', 2))).toBe(ErrorCode.STORAGE_FULL)
    expect(await valueOf(records, K2, 3)).toEqual([...bytes(100, 3)])
    expect(records.bytes).toBe(200)
  })

  it('keeps count and bytes within the limits and equal to the index over any sequence of STOREs', async () => {
    const op = fc.record({
      key: fc.nat({ max: 5 }),
      size: fc.nat({ max: 110 }),
      ttl: fc.integer({ min: -5, max: 200 }),
      mode: fc.constantFrom('publish' as const, 'replicate' as const, 'cache' as const),
      expire: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { records, store } = setup()
        let now = 0
        for (const { key, size, ttl, mode, expire } of ops) {
          now += 10
          if (expire) await records.expire(now)
          await records.accept(keyOf(String(key)), bytes(size), ttl, mode, now).catch(() => undefined)
          expect(records.count).toBeLessThanOrEqual(LIMITS.maxRecords)
          expect(records.bytes).toBeLessThanOrEqual(LIMITS.maxStoredBytes)
          const metas = records.metas(-1)
          expect(records.bytes).toBe(metas.reduce((sum, m) => sum + m.size, 0))
          expect(store.size).toBe(records.count)
        }
      }),
      { numRuns: 150 },
    )
  })
})

describe('Records expiry', () => {
  it('stops serving a record at its expiry and removes it from index and store on expire()', async () => {
    const { records, store } = setup()
    await records.accept(K1, bytes(4), 100, 'publish', 0)
    await records.accept(K2, bytes(6), 500, 'publish', 0)
    expect(await records.read(K1, 99)).toBeDefined()
    expect(await records.read(K1, 100)).toBeUndefined()
    expect(records.metas(100).length).toBe(1)
    expect(await records.expire(100)).toBe(1)
    expect(records.meta(K1)).toBeUndefined()
    expect(await store.get(K1)).toBeUndefined()
    expect(records.count).toBe(1)
    expect(records.bytes).toBe(6)
    expect(await records.expire(100)).toBe(0)
  })

  it('frees the slot of an expired record for a new one', async () => {
    const { records } = setup({ maxRecords: 1 })
    await records.accept(K1, bytes(1), 10, 'publish', 0)
    await records.expire(10)
    expect(await records.accept(K2, bytes(1), 10, 'publish', 10)).toBe('stored')
  })
})

describe('Records.load', () => {
  it('indexes live records and drops expired ones from the store', async () => {
    const store = new MemoryRecordStore()
    await store.put({ key: K1, value: bytes(5), expiresAt: 1000 })
    await store.put({ key: K2, value: bytes(7), expiresAt: 100 })
    await store.put({ key: K3, value: bytes(9), expiresAt: 99 })
    const records = new Records(store, LIMITS)
    await records.load(100)
    expect(records.count).toBe(1)
    expect(records.bytes).toBe(5)
    expect(await valueOf(records, K1, 100)).toEqual([1, 1, 1, 1, 1])
    expect(store.size).toBe(1)
    expect(await store.get(K2)).toBeUndefined()
  })

  it('drops records over maxValueBytes or beyond maxStoredBytes', async () => {
    const store = new MemoryRecordStore()
    await store.put({ key: K1, value: bytes(101), expiresAt: 1000 })
    await store.put({ key: K2, value: bytes(100), expiresAt: 1000 })
    await store.put({ key: K3, value: bytes(100), expiresAt: 1000 })
    await store.put({ key: K4, value: bytes(1), expiresAt: 1000 })
    const records = new Records(store, LIMITS)
    await records.load(0)
    expect(records.meta(K1)).toBeUndefined()
    expect(records.bytes).toBeLessThanOrEqual(LIMITS.maxStoredBytes)
    expect(store.size).toBe(records.count)
  })

  it('keeps no more than maxRecords records when the store holds more', async () => {
    const store = new MemoryRecordStore()
    for (const key of [K1, K2, K3, K4]) await store.put({ key, value: bytes(1), expiresAt: 1000 })
    const records = new Records(store, LIMITS)
    await records.load(0)
    expect(records.count).toBeLessThanOrEqual(LIMITS.maxRecords)
    expect(store.size).toBe(records.count)
  })
})

describe('Records with a failing store', () => {
  it('leaves no index entry when the store rejects the put of a new record', async () => {
    const store = new FlakyStore()
    const records = new Records(store, LIMITS)
    store.failing = true
    await expect(records.accept(K1, bytes(10), 100, 'publish', 0)).rejects.toBe(DISK_FULL)
    expect(records.meta(K1)).toBeUndefined()
    expect(records.count).toBe(0)
    expect(records.bytes).toBe(0)
    expect(await records.read(K1, 0)).toBeUndefined()
    store.failing = false
    expect(await records.accept(K1, bytes(10), 100, 'publish', 0)).toBe('stored')
  })

  it('keeps the previous record indexed when a publish over it fails to reach the store', async () => {
    const store = new FlakyStore()
    const records = new Records(store, LIMITS)
    await records.accept(K1, bytes(10, 1), 1000, 'publish', 0)
    store.failing = true
    await expect(records.accept(K1, bytes(20, 2), 1000, 'publish', 10)).rejects.toBe(DISK_FULL)
    // The store still holds the old record, so the index must still describe it.
    expect(await valueOf(records, K1, 20)).toEqual([...bytes(10, 1)])
    expect(records.bytes).toBe(10)
    expect(records.count).toBe(store.size)
  })
})
