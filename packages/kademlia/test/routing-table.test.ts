import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Id } from '../src/keyspace/id.ts'
import { compareDistance, ID_BITS, ID_BYTES, idEquals, randomIdInBucket, toHex } from '../src/keyspace/id.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { RoutingTable } from '../src/routing-table/routing-table.ts'

const anyId = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES })

function table(self: Id, k = 3, replacementCacheSize = 2, staleLimit = 3): RoutingTable {
  return new RoutingTable({ self, k, replacementCacheSize, staleLimit })
}

/** `count` distinct ids that all fall into bucket `bucket` of `self`. */
function idsInBucket(self: Id, bucket: number, count: number, seed = 1): Id[] {
  const random = seededRandom(seed)
  const out = new Map<string, Id>()
  while (out.size < count) {
    const id = randomIdInBucket(self, bucket, random)
    out.set(toHex(id), id)
  }
  return [...out.values()]
}

function bucketOf(rt: RoutingTable, id: Id): Id[] {
  const view = rt.buckets().find((b) => b.index === rt.bucketIndex(id))
  return view === undefined ? [] : view.contacts.map((c) => c.id)
}

const hexes = (ids: Iterable<Id>): string[] => [...ids].map(toHex)
const SELF = new Uint8Array(ID_BYTES).fill(0x5a)

describe('RoutingTable invariants', () => {
  const op = fc.record({ kind: fc.constantFrom('heard', 'heard', 'failed', 'unproven', 'remove'), who: fc.nat({ max: 40 }) })

  it('never exceeds k per bucket, never holds duplicates or self, and keeps size consistent', () => {
    fc.assert(
      fc.property(anyId, fc.integer(), fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 4 }), (self, seed, ops, k) => {
        const random = seededRandom(seed)
        // A small pool crowded into the first few buckets, so buckets fill and overflow; index 0 is self.
        const pool = [self, ...Array.from({ length: 40 }, () => randomIdInBucket(self, Math.floor(random.float() * 4), random))]
        const rt = table(self, k, 2, 2)
        let now = 0
        for (const { kind, who } of ops) {
          const id = pool[who]!
          now++
          if (kind === 'heard') {
            const result = rt.heard(id, now)
            if (who === 0) expect(result.kind).toBe('self')
            if (result.kind === 'added' || result.kind === 'updated') {
              const bucket = bucketOf(rt, id)
              expect(idEquals(bucket[bucket.length - 1]!, id)).toBe(true)
            }
          } else if (kind === 'failed') rt.failed(id)
          else if (kind === 'unproven') {
            const failuresBefore = rt.get(id)?.failures
            const result = rt.failed(id, { proven: false })
            // An unproven failure never removes a contact that had not failed before it.
            if (failuresBefore === 0) expect(result.kind).toBe('stale')
          } else rt.remove(id)

          const all = [...rt.contacts()]
          expect(rt.size).toBe(all.length)
          expect(new Set(hexes(all.map((c) => c.id))).size).toBe(all.length)
          expect(all.some((c) => idEquals(c.id, self))).toBe(false)
          for (const view of rt.buckets()) {
            expect(view.contacts.length).toBeLessThanOrEqual(k)
            expect(view.replacements).toBeLessThanOrEqual(2)
            for (const c of view.contacts) expect(rt.bucketIndex(c.id)).toBe(view.index)
          }
        }
      }),
      { numRuns: 150 },
    )
  })
})

describe('RoutingTable liveness', () => {
  it('answers heard(self) with kind self and never adds it', () => {
    const rt = table(SELF)
    expect(rt.heard(SELF, 1)).toEqual({ kind: 'self' })
    expect(rt.size).toBe(0)
    expect(rt.has(SELF)).toBe(false)
  })

  it('keeps each bucket in least-recently-seen order and moves a contact heard again to the tail', () => {
    const rt = table(SELF)
    const [a, b, c] = idsInBucket(SELF, 3, 3)
    expect(rt.heard(a!, 1).kind).toBe('added')
    expect(rt.heard(b!, 2).kind).toBe('added')
    expect(rt.heard(c!, 3).kind).toBe('added')
    expect(hexes(bucketOf(rt, a!))).toEqual(hexes([a!, b!, c!]))
    const result = rt.heard(a!, 4)
    expect(result.kind).toBe('updated')
    expect(hexes(bucketOf(rt, a!))).toEqual(hexes([b!, c!, a!]))
    expect(rt.get(a!)?.lastSeen).toBe(4)
  })

  it('answers a newcomer to a full bucket with the oldest contact and caches the newcomer as a replacement', () => {
    const rt = table(SELF)
    const [a, b, c, d] = idsInBucket(SELF, 0, 4)
    for (const [i, id] of [a!, b!, c!].entries()) rt.heard(id, i)
    rt.heard(a!, 10) // b is now the oldest
    const result = rt.heard(d!, 11)
    expect(result.kind).toBe('full')
    if (result.kind === 'full') expect(idEquals(result.oldest.id, b!)).toBe(true)
    expect(rt.has(d!)).toBe(false)
    expect(rt.size).toBe(3)
    expect(rt.buckets().find((v) => v.index === 0)?.replacements).toBe(1)
  })

  it('replaces a failed contact with the newest waiting replacement at once', () => {
    const rt = table(SELF, 3, 4, 5)
    const [a, b, c, r1, r2] = idsInBucket(SELF, 2, 5)
    for (const id of [a!, b!, c!]) rt.heard(id, 1)
    rt.heard(r1!, 2)
    rt.heard(r2!, 3)
    const result = rt.failed(b!)
    expect(result.kind).toBe('removed')
    if (result.kind === 'removed') {
      expect(idEquals(result.contact.id, b!)).toBe(true)
      expect(idEquals(result.replacement!.id, r2!)).toBe(true)
    }
    expect(rt.has(b!)).toBe(false)
    expect(rt.has(r2!)).toBe(true)
    expect(rt.has(r1!)).toBe(false)
    expect(rt.size).toBe(3)
    expect(rt.buckets().find((v) => v.index === 2)?.replacements).toBe(1)
  })

  it('drops a contact only after staleLimit failures when no replacement waits', () => {
    const staleLimit = 3
    const rt = table(SELF, 3, 2, staleLimit)
    const [a] = idsInBucket(SELF, 5, 1)
    rt.heard(a!, 1)
    for (let i = 1; i < staleLimit; i++) {
      const result = rt.failed(a!)
      expect(result.kind).toBe('stale')
      if (result.kind === 'stale') expect(result.contact.failures).toBe(i)
      expect(rt.has(a!)).toBe(true)
    }
    const last = rt.failed(a!)
    expect(last.kind).toBe('removed')
    if (last.kind === 'removed') expect(last.replacement).toBeUndefined()
    expect(rt.has(a!)).toBe(false)
    expect(rt.size).toBe(0)
  })

  it('resets the failure count when a contact is heard from again', () => {
    const rt = table(SELF, 3, 2, 2)
    const [a] = idsInBucket(SELF, 5, 1)
    rt.heard(a!, 1)
    expect(rt.failed(a!).kind).toBe('stale')
    rt.heard(a!, 2)
    expect(rt.get(a!)?.failures).toBe(0)
    expect(rt.failed(a!).kind).toBe('stale')
    expect(rt.failed(a!).kind).toBe('removed')
  })

  it('reports unknown for failed() and remove() of a contact it does not hold', () => {
    const rt = table(SELF)
    const [a] = idsInBucket(SELF, 1, 1)
    expect(rt.failed(a!)).toEqual({ kind: 'unknown' })
    expect(rt.remove(a!)).toEqual({ kind: 'unknown' })
    expect(rt.failed(SELF)).toEqual({ kind: 'unknown' })
  })

  it('removes a contact on remove() and promotes a waiting replacement', () => {
    const rt = table(SELF, 2, 2, 5)
    const [a, b, c] = idsInBucket(SELF, 4, 3)
    rt.heard(a!, 1)
    rt.heard(b!, 2)
    rt.heard(c!, 3)
    const result = rt.remove(a!)
    expect(result.kind).toBe('removed')
    expect(hexes(bucketOf(rt, b!))).toEqual(hexes([b!, c!]))
    expect(rt.size).toBe(2)
    rt.remove(b!)
    expect(rt.size).toBe(1)
  })

  it('drops a removed peer from the replacement cache too, so it is never promoted later', () => {
    const rt = table(SELF, 1, 2, 5)
    const [a, gone, r] = idsInBucket(SELF, 3, 3)
    rt.heard(a!, 1)
    rt.heard(gone!, 2) // waits as a replacement
    rt.heard(r!, 3) // waits as a replacement, newest
    expect(rt.buckets()[0]!.replacements).toBe(2)
    expect(rt.remove(gone!)).toEqual({ kind: 'unknown' })
    expect(rt.buckets()[0]!.replacements).toBe(1)
    expect(rt.remove(a!).kind).toBe('removed')
    expect(hexes(bucketOf(rt, r!))).toEqual(hexes([r!]))
    expect(rt.remove(r!)).toMatchObject({ kind: 'removed', replacement: undefined })
    expect(rt.has(gone!)).toBe(false)
    expect(rt.size).toBe(0)
  })

  it('keeps a contact through its first unproven failure even with a replacement waiting, and replaces it at the second', () => {
    const rt = table(SELF, 2, 2, 5)
    const [a, b, r] = idsInBucket(SELF, 2, 3)
    for (const id of [a!, b!, r!]) rt.heard(id, 1)
    const first = rt.failed(a!, { proven: false })
    expect(first.kind).toBe('stale')
    expect(rt.get(a!)?.failures).toBe(1)
    const second = rt.failed(a!, { proven: false })
    expect(second.kind).toBe('removed')
    if (second.kind === 'removed') expect(idEquals(second.replacement!.id, r!)).toBe(true)
    expect(rt.has(a!)).toBe(false)
  })

  it('counts a proven failure before an unproven one as the first of the two in a row', () => {
    const rt = table(SELF, 2, 2, 5)
    const [a, r1, b, r2] = idsInBucket(SELF, 2, 4)
    for (const id of [a!, b!]) rt.heard(id, 1)
    // With no replacement waiting a proven failure only counts; then a replacement arrives.
    expect(rt.failed(a!).kind).toBe('stale')
    rt.heard(r1!, 2)
    expect(rt.failed(a!, { proven: false }).kind).toBe('removed')
    // Heard from again, a contact starts over: its next unproven failure is a first one.
    rt.heard(r2!, 3)
    expect(rt.failed(b!, { proven: false }).kind).toBe('stale')
    rt.heard(b!, 4)
    expect(rt.failed(b!, { proven: false }).kind).toBe('stale')
    expect(rt.has(b!)).toBe(true)
  })

  it('drops a contact with no replacement after staleLimit failures in a row, but never at its first unproven one', () => {
    const rt = table(SELF, 3, 2, 1)
    const [a, b] = idsInBucket(SELF, 5, 2)
    rt.heard(a!, 1)
    rt.heard(b!, 1)
    expect(rt.failed(a!).kind).toBe('removed')
    expect(rt.failed(b!, { proven: false }).kind).toBe('stale')
    expect(rt.get(b!)?.failures).toBe(1)
    expect(rt.failed(b!, { proven: false }).kind).toBe('removed')
    expect(rt.size).toBe(0)
  })

  it('marks when a failure counted (failedAt): a proven one, or the second unproven one in a row, never a lone forged one', () => {
    const rt = table(SELF, 3, 0, 5)
    const [a, b] = idsInBucket(SELF, 4, 2)
    rt.heard(a!, 1)
    rt.heard(b!, 1)
    rt.failed(a!, { proven: false, now: 10 })
    expect(rt.get(a!)?.failedAt).toBeUndefined()
    rt.failed(a!, { proven: false, now: 20 })
    expect(rt.get(a!)?.failedAt).toBe(20)
    rt.failed(b!, { proven: true, now: 30 })
    expect(rt.get(b!)?.failedAt).toBe(30)
  })

  it('keeps only the newest replacementCacheSize replacements', () => {
    const rt = table(SELF, 1, 2, 5)
    const [a, r1, r2, r3] = idsInBucket(SELF, 0, 4)
    for (const id of [a!, r1!, r2!, r3!]) rt.heard(id, 1)
    expect(rt.buckets()[0]!.replacements).toBe(2)
    expect(rt.failed(a!).kind).toBe('removed')
    expect(rt.has(r3!)).toBe(true)
    expect(rt.failed(r3!).kind).toBe('removed')
    expect(rt.has(r2!)).toBe(true)
    expect(rt.failed(r2!).kind).toBe('stale') // r1 was pushed out of the cache
  })
})

describe('RoutingTable.closest', () => {
  /** Ids spread over all buckets of `self`, like a real table. */
  const spread = (self: Id, seed: number, count: number): Id[] => {
    const random = seededRandom(seed)
    return Array.from({ length: count }, () => {
      const bucket = Math.min(ID_BITS - 1, Math.floor(-Math.log2(1 - random.float())))
      return randomIdInBucket(self, bucket, random)
    })
  }

  it('equals the brute-force sort of every contact by XOR distance', () => {
    fc.assert(
      fc.property(
        anyId,
        fc.integer(),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.oneof(anyId, fc.constant(undefined)),
        (self, seed, count, n, k, randomTarget) => {
          const ids = spread(self, seed, count)
          const rt = table(self, k, 1, 2)
          ids.forEach((id, i) => rt.heard(id, i))
          const all = [...rt.contacts()].map((c) => c.id)
          // Targets: random, self, a known contact, and an id near self.
          const near = randomIdInBucket(self, 100, seededRandom(seed + 1))
          for (const target of [randomTarget ?? near, self, all[0] ?? near, near]) {
            const expected = [...all].sort((a, b) => compareDistance(target, a, b)).slice(0, n)
            expect(hexes(rt.closest(target, n))).toEqual(hexes(expected))
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('leaves out excluded ids and still returns the n closest of the rest', () => {
    fc.assert(
      fc.property(anyId, fc.integer(), anyId, (self, seed, target) => {
        const rt = table(self, 8, 0, 2)
        spread(self, seed, 60).forEach((id, i) => rt.heard(id, i))
        const exclude = (id: Id): boolean => (id[19]! & 1) === 0
        const rest = [...rt.contacts()].map((c) => c.id).filter((id) => !exclude(id))
        const expected = rest.sort((a, b) => compareDistance(target, a, b)).slice(0, 5)
        expect(hexes(rt.closest(target, 5, (contact) => exclude(contact.id)))).toEqual(hexes(expected))
      }),
      { numRuns: 100 },
    )
  })

  it('returns nothing from an empty table and never returns self', () => {
    const rt = table(SELF)
    expect(rt.closest(SELF, 5)).toEqual([])
    rt.heard(SELF, 1)
    expect(rt.closest(SELF, 5)).toEqual([])
    expect(rt.nearestBucket()).toBe(-1)
  })
})

describe('RoutingTable.withinRadius (where a STORE belongs)', () => {
  it('takes every key while it knows fewer than k contacts, then keys within 2^slack of its k-th closest contact’s distance', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }), (seed, k, slack) => {
        const random = seededRandom(seed)
        const self = random.bytes(ID_BYTES)
        const t = table(self, k, 0)
        expect(t.withinRadius(random.bytes(ID_BYTES), k, slack)).toBe(true)
        for (let i = 0; i < 400; i++) t.heard(random.bytes(ID_BYTES), 0)
        const kth = t.closest(self, k).at(-1)!
        // A key at our k-th closest contact's distance belongs; a key in the far half of the
        // keyspace does not (with 400 random contacts heard, the k-th closest shares several
        // leading bits with us, so even 4 times its distance is far less than half the space).
        expect(t.withinRadius(kth, k, slack)).toBe(true)
        const far = randomIdInBucket(self, 0, random)
        expect(t.withinRadius(far, k, slack)).toBe(false)
        // Doubling the slack never refuses what a smaller slack took.
        for (let i = 0; i < 20; i++) {
          const key = random.bytes(ID_BYTES)
          if (t.withinRadius(key, k, slack)) expect(t.withinRadius(key, k, slack + 1)).toBe(true)
        }
      }),
      { numRuns: 100 },
    )
  })
})

describe('RoutingTable.withinRadius in an uneven small network', () => {
  it('takes a far key when it knows fewer than k nodes closer to it, however close its own neighbours are', () => {
    const random = seededRandom(5)
    const self = random.bytes(ID_BYTES)
    const t = table(self, 3, 0)
    // Three neighbours very close to us (sharing 100 bits), and one node in the far half.
    for (let i = 0; i < 3; i++) t.heard(randomIdInBucket(self, 100, random), 0)
    t.heard(randomIdInBucket(self, 0, random), 0)
    const far = randomIdInBucket(self, 0, random)
    // The radius alone would refuse it; but only one known node is closer to it than we are.
    expect(t.withinRadius(far, 3, 2)).toBe(true)
    // With its bucket full (k nodes closer than us), the same key is refused.
    for (let i = 0; i < 2; i++) t.heard(randomIdInBucket(self, 0, random), 0)
    expect(t.withinRadius(far, 3, 2)).toBe(false)
  })
})
