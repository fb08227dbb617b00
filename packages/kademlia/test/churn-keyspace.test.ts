import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareDistance, type Id, ID_BYTES, idEquals, randomIdInBucket, toHex } from '../src/keyspace/id.ts'
import { departureTest, entrantsAfter } from '../src/node/churn.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { RoutingTable } from '../src/routing-table/routing-table.ts'

/**
 * The keyspace arithmetic of churn replication (node/churn.ts), without a network: which node
 * entered a record's k closest when a contact left, and whether the contact was among them.
 */
describe('entrantsAfter', () => {
  it('names the node that entered the k closest, and a promoted replacement among them, which counts as there before', () => {
    const key = new Uint8Array(ID_BYTES)
    // Distances to the key grow with the first byte: self, a1, gone, R, X, Y.
    const at = (first: number): Id => Uint8Array.from({ length: ID_BYTES }, (_, i) => (i === 0 ? first : 0))
    const [self, a1, gone, r, x, y] = [1, 2, 3, 4, 5, 6].map(at) as [Id, Id, Id, Id, Id, Id]
    const hex = (ids: Id[]): string[] => ids.map(toHex)
    // k = 4. Without a replacement, X (the fifth before) entered.
    expect(hex(entrantsAfter(key, self, [a1, r, x, y], gone, undefined, 4))).toEqual(hex([x]))
    // R was promoted into gone's bucket: it counts as there before, so X entered; R is sent it too.
    expect(hex(entrantsAfter(key, self, [a1, r, x, y], gone, r, 4))).toEqual(hex([r, x]))
    // A promoted replacement beyond the k closest is not sent anything.
    expect(hex(entrantsAfter(key, self, [a1, r, x, y], gone, y, 4))).toEqual(hex([x]))
    // Fewer than k nodes: nobody entered.
    expect(hex(entrantsAfter(key, self, [a1], gone, undefined, 4))).toEqual([])
  })
})

describe('departureTest', () => {
  it('says whether the removed contact was among the k closest to a key, self counted, as a brute force over the table before does', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (seed, k, count, byFailure) => {
        const random = seededRandom(seed)
        const self = random.bytes(ID_BYTES)
        // Contacts and keys crowd into the first buckets, so buckets fill and the key lands in all kinds of places.
        const near = (): Id => randomIdInBucket(self, Math.floor(random.float() * 8), random)
        const table = new RoutingTable({ self, k, replacementCacheSize: 2, staleLimit: 1 })
        for (let i = 0; i < count; i++) table.heard(near(), i)
        const contacts = [...table.contacts()].map((contact) => contact.id)
        const gone = contacts[Math.floor(random.float() * contacts.length)]!
        const inGonesBucket = (): Id => randomIdInBucket(self, table.bucketIndex(gone), random)
        const keys = [self, gone, ...Array.from({ length: 30 }, near), ...Array.from({ length: 5 }, inGonesBucket)]
        const closestOf = (key: Id): Id[] => [self, ...contacts].sort((x, y) => compareDistance(key, x, y)).slice(0, k)
        const expected = keys.map((key) => closestOf(key).some((id) => idEquals(id, gone)))

        const result = byFailure ? table.failed(gone) : table.remove(gone)
        expect(result.kind).toBe('removed')
        const wasAmongClosest = departureTest(table, gone, result.kind === 'removed' ? result.replacement?.id : undefined, k)
        expect(keys.map(wasAmongClosest)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})
