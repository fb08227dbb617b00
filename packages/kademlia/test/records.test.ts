import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Signer } from '../src/keyspace/ed25519.ts'
import { ed25519Signer, verifySignature } from '../src/keyspace/ed25519-noble.ts'
import { compareDistance, type Id, keyOf } from '../src/keyspace/id.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { immutableKey, mutableKey } from '../src/records/bep44.ts'
import type { StoredRecord } from '../src/records/record-store.ts'
import { MemoryRecordStore } from '../src/records/record-store.ts'
import { type RecordLimits, Records, type StoreRequest } from '../src/records/records.ts'
import { immutableRecord, type NamedRecord, signMutable, signNamed, type SignedRecord } from '../src/records/signed-record.ts'
import { encodeStoredSet } from '../src/wire/record-codec.ts'
import { codeOf } from './support.ts'

const LIMITS: RecordLimits = { maxValueBytes: 100, maxRecords: 3, maxStoredBytes: 2000, maxTtlMs: 10_000, maxPublishersPerKey: 2, maxRecordsPerSender: 100, recordChecksPerSecond: 1000 }
const SELF = new Uint8Array(20)
const K1 = keyOf('one')
const K2 = keyOf('two')
const random = seededRandom(7)
const signers: Signer[] = Array.from({ length: 4 }, () => ed25519Signer(random.bytes(32)))
const [ALICE, BOB, CAROL] = signers as [Signer, Signer, Signer]
const SENDER = keyOf('a sender')
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)

function setup(limits: Partial<RecordLimits> = {}, store = new MemoryRecordStore()): { store: MemoryRecordStore; records: Records; near: { belongs: boolean } } {
  const near = { belongs: true }
  const records = new Records(store, {
    self: SELF,
    limits: { ...LIMITS, ...limits },
    check: { verify: verifySignature, puzzleBits: 0 },
    belongs: () => near.belongs,
    now: () => 0,
  })
  return { store, records, near }
}

/** A STORE from SENDER (pass `from: undefined` for this node's own). */
const store = (key: Id, record: SignedRecord, extra: Partial<StoreRequest> = {}): StoreRequest => ({ key, record, ttlMs: 1000, mode: 'publish', from: SENDER, now: 0, ...extra })
const values = (records: Records, key: Id, now = 0): number[][] => records.read(key, now).map(({ record }) => [...record.value])

describe('Records.accept: who may change what', () => {
  it('stores a signed named value and reads it back with its remaining TTL', async () => {
    const { store: disk, records } = setup()
    const record = await signNamed(ALICE, K1, 1, bytes(3))
    expect(await records.accept(store(K1, record))).toBe('stored')
    expect(records.read(K1, 400)).toEqual([{ record, ttlMs: 600 }])
    expect(disk.size).toBe(1)
    expect(records.count).toBe(1)
  })

  it('lets a publisher replace its own value with a higher seq only (attack: overwrite with a lower or equal seq)', async () => {
    const { records } = setup()
    await records.accept(store(K1, await signNamed(ALICE, K1, 5, bytes(3, 1))))
    expect(await codeOf(records.accept(store(K1, await signNamed(ALICE, K1, 4, bytes(3, 2)))))).toBe(ErrorCode.SEQ_TOO_LOW)
    expect(await codeOf(records.accept(store(K1, await signNamed(ALICE, K1, 5, bytes(3, 3)))))).toBe(ErrorCode.SEQ_TOO_LOW)
    expect(values(records, K1)).toEqual([[1, 1, 1]])
    expect(await records.accept(store(K1, await signNamed(ALICE, K1, 6, bytes(2, 4))))).toBe('stored')
    expect(values(records, K1)).toEqual([[4, 4]])
    expect(records.refused[ErrorCode.SEQ_TOO_LOW]).toBe(2)
  })

  it('keeps every publisher’s value side by side: nobody can overwrite or evict another’s (attack: overwrite)', async () => {
    const { records } = setup()
    await records.accept(store(K1, await signNamed(ALICE, K1, 5, bytes(1, 1))))
    // Bob's higher seq lands in Bob's slot; Alice's value stays.
    await records.accept(store(K1, await signNamed(BOB, K1, 9, bytes(1, 2))))
    expect(values(records, K1).sort()).toEqual([[1], [2]])
    // A third publisher finds the key full (maxPublishersPerKey = 2): refused, nothing evicted.
    expect(await codeOf(records.accept(store(K1, await signNamed(CAROL, K1, 99, bytes(1, 3)))))).toBe(ErrorCode.KEY_FULL)
    expect(values(records, K1).sort()).toEqual([[1], [2]])
    expect(records.refused[ErrorCode.KEY_FULL]).toBe(1)
  })

  it('refuses a forged signature, a value someone altered, and Bob’s key claiming Alice’s record (attack: bad signature)', async () => {
    const { records } = setup()
    const good = await signNamed(ALICE, K1, 1, bytes(3))
    const forged: NamedRecord = { ...good, signature: bytes(64, 7) }
    const altered: NamedRecord = { ...good, value: bytes(3, 9) }
    const otherKey: NamedRecord = { ...good, publicKey: BOB.publicKey }
    const otherName = await signNamed(ALICE, K2, 1, bytes(3))
    for (const record of [forged, altered, otherKey, otherName]) expect(await codeOf(records.accept(store(K1, record)))).toBe(ErrorCode.BAD_SIGNATURE)
    expect(records.count).toBe(0)
    expect(records.refused[ErrorCode.BAD_SIGNATURE]).toBe(4)
  })

  it('never shortens a record’s life: the same record with ttl = 1 ms only refreshes (attack: delete by short TTL)', async () => {
    const { records } = setup()
    const record = await signNamed(ALICE, K1, 1, bytes(3))
    await records.accept(store(K1, record, { ttlMs: 5000 }))
    expect(await records.accept(store(K1, record, { ttlMs: 1, now: 100 }))).toBe('kept')
    expect(records.read(K1, 4000)).toHaveLength(1)
    expect(await records.accept(store(K1, record, { ttlMs: 9000, now: 100 }))).toBe('kept')
    expect(records.meta(K1)?.expiresAt).toBe(9100)
    // A higher seq keeps the longer expiry too.
    await records.accept(store(K1, await signNamed(ALICE, K1, 2, bytes(3, 2)), { ttlMs: 1, now: 200 }))
    expect(records.meta(K1)?.expiresAt).toBe(9100)
  })

  it('removes a value only by its publisher’s tombstone, which then refuses older values', async () => {
    const { records } = setup()
    await records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(3))))
    await records.accept(store(K1, await signNamed(ALICE, K1, 2, undefined)))
    const [held] = records.read(K1, 0)
    expect(held?.record).toMatchObject({ kind: 'named', tombstone: true, seq: 2 })
    expect(await codeOf(records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(3)), { mode: 'replicate' })))).toBe(ErrorCode.SEQ_TOO_LOW)
    // A tombstone with a value is not a tombstone anyone signed.
    const bad = { ...(await signNamed(ALICE, K1, 3, undefined)), value: bytes(1) }
    expect(await codeOf(records.accept(store(K1, bad)))).toBe(ErrorCode.BAD_SIGNATURE)
  })

  it('takes a record only where it belongs, and within the sender’s quota (attack: fill a holder)', async () => {
    const { records, near } = setup({ maxRecordsPerSender: 1, maxRecords: 10 })
    near.belongs = false
    expect(await codeOf(records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(1)))))).toBe(ErrorCode.NOT_CLOSE)
    // This node's own publish is not a STORE from anyone: where it belongs is the publisher's lookup.
    expect(await records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(1)), { from: undefined }))).toBe('stored')
    near.belongs = true
    expect(await records.accept(store(K2, await signNamed(ALICE, K2, 1, bytes(1))))).toBe('stored')
    expect(await codeOf(records.accept(store(keyOf('x'), await signNamed(ALICE, keyOf('x'), 1, bytes(1)))))).toBe(ErrorCode.SENDER_QUOTA)
    // A newer value in a slot the sender already fills is not a new record.
    expect(await records.accept(store(K2, await signNamed(ALICE, K2, 2, bytes(1))))).toBe('stored')
    expect(records.refused).toMatchObject({ [ErrorCode.NOT_CLOSE]: 1, [ErrorCode.SENDER_QUOTA]: 1 })
  })

  it('takes no STORE once stopped, not even one whose signature was being checked: nothing is written after the node stops', async () => {
    const disk = new MemoryRecordStore()
    let release: (() => void) | undefined
    const slow = new Records(disk, {
      self: SELF,
      limits: LIMITS,
      check: { verify: async (...args) => (await new Promise<void>((resolve) => (release = resolve)), verifySignature(...args)), puzzleBits: 0 },
      belongs: () => true,
      now: () => 0,
    })
    const pending = codeOf(slow.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(3)))))
    await Promise.resolve()
    slow.stop()
    release!()
    expect(await pending).toBe(ErrorCode.NOT_RUNNING)
    expect(await codeOf(slow.accept(store(K2, await signNamed(ALICE, K2, 1, bytes(3)))))).toBe(ErrorCode.NOT_RUNNING)
    expect(disk.size).toBe(0)
    expect(slow.count).toBe(0)
  })

  it('spends at most its budget of signature checks on one sender (attack: burn CPU with forged records)', async () => {
    const clock = { now: 0 }
    let checks = 0
    const counting = new Records(new MemoryRecordStore(), {
      self: SELF,
      limits: { ...LIMITS, recordChecksPerSecond: 4, maxRecordsPerSender: 1000, maxRecords: 1000 },
      check: { verify: (...args) => (checks++, verifySignature(...args)), puzzleBits: 0 },
      belongs: () => true,
      now: () => clock.now,
    })
    const good = await signNamed(ALICE, K1, 1, bytes(3))
    const codes: string[] = []
    for (let seq = 2; seq < 102; seq++) codes.push(await codeOf(counting.accept(store(K1, { ...good, seq }))))
    // A burst of twice the rate, then nothing more this second: 8 checks for 100 forged records.
    expect(checks).toBe(8)
    expect(codes.filter((c) => c === ErrorCode.BAD_SIGNATURE)).toHaveLength(8)
    expect(codes.filter((c) => c === ErrorCode.RATE_LIMITED)).toHaveLength(92)
    expect(counting.refused[ErrorCode.RATE_LIMITED]).toBe(92)
    // Another sender has its own budget, and the budget refills with time.
    expect(await counting.accept(store(K1, good, { from: keyOf('someone else') }))).toBe('stored')
    clock.now += 1000
    expect(await codeOf(counting.accept(store(K1, { ...good, seq: 500 })))).toBe(ErrorCode.BAD_SIGNATURE)
  })

  it('refuses an invalid TTL and a value over maxValueBytes before checking any signature', async () => {
    const { records } = setup()
    const record = await signNamed(ALICE, K1, 1, bytes(3))
    for (const ttlMs of [0, -1, 1.5, Number.NaN, 10_001]) expect(await codeOf(records.accept(store(K1, record, { ttlMs })))).toBe(ErrorCode.INVALID_TTL)
    expect(await codeOf(records.accept(store(K1, { ...record, value: bytes(101), signature: bytes(64) })))).toBe(ErrorCode.VALUE_TOO_LARGE)
  })
})

describe('Records.accept: BEP 44 items', () => {
  it('a mutable item: seq only grows, the same item refreshes, cas must match, the key must be SHA-1(key ‖ salt)', async () => {
    const { records } = setup()
    const salt = bytes(4, 5)
    const key = mutableKey(ALICE.publicKey, salt)
    const v1 = await signMutable(ALICE, { salt, seq: 1, value: bytes(2, 1) })
    expect(await records.accept(store(key, v1))).toBe('stored')
    expect(await records.accept(store(key, v1, { ttlMs: 5000 }))).toBe('kept')
    expect(await codeOf(records.accept(store(key, await signMutable(ALICE, { salt, seq: 1, value: bytes(2, 2) }))))).toBe(ErrorCode.SEQ_TOO_LOW)
    const v2 = await signMutable(ALICE, { salt, seq: 2, value: bytes(2, 3) })
    expect(await codeOf(records.accept(store(key, v2, { cas: 7 })))).toBe(ErrorCode.CAS_MISMATCH)
    expect(await records.accept(store(key, v2, { cas: 1 }))).toBe('stored')
    expect(await codeOf(records.accept(store(mutableKey(ALICE.publicKey), v2)))).toBe(ErrorCode.KEY_MISMATCH)
    expect(await codeOf(records.accept(store(key, { ...v2, salt: bytes(65) })))).toBe(ErrorCode.SALT_TOO_BIG)
    const big = await signMutable(ALICE, { salt, seq: 3, value: bytes(997) })
    expect(await codeOf(setup({ maxValueBytes: 2000 }).records.accept(store(key, big)))).toBe(ErrorCode.VALUE_TOO_LARGE)
    expect(await codeOf(records.accept(store(key, { ...v2, seq: 3 })))).toBe(ErrorCode.BAD_SIGNATURE)
  })

  it('an immutable item lives only under the hash of its value', async () => {
    const { records } = setup()
    const value = bytes(5, 8)
    expect(await records.accept(store(immutableKey(value), immutableRecord(value)))).toBe('stored')
    expect(await codeOf(records.accept(store(K1, immutableRecord(value))))).toBe(ErrorCode.KEY_MISMATCH)
  })
})

describe('Records: the budget', () => {
  it('makes room by dropping the keys this node is farthest from, and refuses a key farther than all of them', async () => {
    const { records, store: disk } = setup({ maxRecords: 2 })
    const keys = Array.from({ length: 40 }, (_, i) => keyOf(`k${i}`)).sort((a, b) => compareDistance(SELF, a, b))
    const [nearest, near, far, farthest] = [keys[0]!, keys[1]!, keys[20]!, keys[39]!]
    await records.accept(store(far, await signNamed(ALICE, far, 1, bytes(1))))
    await records.accept(store(farthest, await signNamed(ALICE, farthest, 1, bytes(1))))
    expect(await records.accept(store(near, await signNamed(ALICE, near, 1, bytes(1))))).toBe('stored')
    expect(records.meta(farthest)).toBeUndefined()
    expect(await records.accept(store(nearest, await signNamed(ALICE, nearest, 1, bytes(1))))).toBe('stored')
    expect(records.meta(far)).toBeUndefined()
    expect(await codeOf(records.accept(store(farthest, await signNamed(BOB, farthest, 1, bytes(1)))))).toBe(ErrorCode.STORAGE_FULL)
    expect(records.count).toBe(2)
    await Promise.resolve()
    expect(disk.size).toBe(2)
  })

  it('keeps count and bytes equal to what it holds over any sequence of STOREs (fast-check)', async () => {
    const pool: [Id, SignedRecord][] = []
    for (let i = 0; i < 6; i++) {
      const key = keyOf(`p${i % 3}`)
      pool.push([key, await signNamed(signers[i % 4]!, key, 1 + (i % 2), bytes(10 + i * 30))])
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: pool.length - 1 }), { maxLength: 12 }), async (picks) => {
        const { records } = setup({ maxStoredBytes: 600 })
        for (const i of picks) await records.accept(store(pool[i]![0], pool[i]![1])).catch(() => undefined)
        const held = [...['p0', 'p1', 'p2'].map((n) => records.read(keyOf(n), 0))].flat()
        expect(records.bytes).toBe(held.reduce((sum, { record }) => sum + record.value.length + 96, 0))
        expect(records.bytes).toBeLessThanOrEqual(600)
        expect(records.count).toBeLessThanOrEqual(LIMITS.maxRecords)
      }),
      { numRuns: 40 },
    )
  })

  it('ends with the highest seq of each publisher whatever order concurrent STOREs arrive in (fast-check)', async () => {
    const versions: SignedRecord[] = []
    for (const signer of [ALICE, BOB]) for (let seq = 1; seq <= 3; seq++) versions.push(await signNamed(signer, K1, seq, bytes(1, seq)))
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(versions, { minLength: 6, maxLength: 6 }), async (order) => {
        const { records } = setup()
        await Promise.allSettled(order.map((record) => records.accept(store(K1, record))))
        expect(records.read(K1, 0).map(({ record }) => record.kind === 'named' && record.seq)).toEqual([3, 3])
      }),
      { numRuns: 30 },
    )
  })

  it('holds what it held before when the store refuses a write', async () => {
    const flaky = new (class extends MemoryRecordStore {
      failing = false
      override async put(record: StoredRecord): Promise<void> {
        if (this.failing) throw new Error('disk full')
        return super.put(record)
      }
    })()
    const { records } = setup({}, flaky)
    await records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(3, 1))))
    flaky.failing = true
    await expect(records.accept(store(K1, await signNamed(ALICE, K1, 2, bytes(3, 2))))).rejects.toThrow('disk full')
    await expect(records.accept(store(K2, await signNamed(ALICE, K2, 1, bytes(3, 2))))).rejects.toThrow('disk full')
    expect(values(records, K1)).toEqual([[1, 1, 1]])
    expect(records.meta(K2)).toBeUndefined()
    expect(records.bytes).toBe(3 + 96)
  })
})

describe('Records: expiry and what is read back from storage', () => {
  it('stops serving a record at its expiry and removes it on expire()', async () => {
    const { records, store: disk } = setup()
    await records.accept(store(K1, await signNamed(ALICE, K1, 1, bytes(3)), { ttlMs: 100 }))
    await records.accept(store(K1, await signNamed(BOB, K1, 1, bytes(3)), { ttlMs: 300 }))
    expect(records.read(K1, 150)).toHaveLength(1)
    expect(await records.expire(150)).toBe(1)
    expect(await records.expire(400)).toBe(1)
    expect(records.count).toBe(0)
    expect(disk.size).toBe(0)
  })

  it('checks every record read back at load: forged, misplaced, expired or malformed ones are dropped', async () => {
    const disk = new MemoryRecordStore()
    const good = await signNamed(ALICE, K1, 1, bytes(3))
    const forged = { ...(await signNamed(BOB, K1, 1, bytes(3))), value: bytes(3, 9) }
    const expired = await signNamed(CAROL, K1, 1, bytes(3))
    await disk.put({ key: K1, value: encodeStoredSet([{ record: good, expiresAt: 1000 }, { record: forged, expiresAt: 1000 }, { record: expired, expiresAt: 5 }]), expiresAt: 1000 })
    await disk.put({ key: K2, value: Uint8Array.of(1, 9, 9), expiresAt: 1000 })
    await disk.put({ key: keyOf('moved'), value: encodeStoredSet([{ record: good, expiresAt: 1000 }]), expiresAt: 1000 })
    const { records } = setup({}, disk)
    expect(await records.load(10)).toBe(4)
    expect(records.read(K1, 10).map(({ record }) => record)).toEqual([good])
    expect(records.count).toBe(1)
    expect(disk.size).toBe(1)
  })
})
