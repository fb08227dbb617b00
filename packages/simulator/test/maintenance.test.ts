import { commonPrefixLength, idEquals, keyOf, toHex } from '@browser-dht/kademlia'
import type { FindNodeResult, Id, KademliaNode } from '@browser-dht/kademlia'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { trueClosest } from '../src/brute-force.ts'
import type { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, buildNetwork, bytesOf, FAST_MAINTENANCE, hexes, holdersOf, K, liveIds, MAX_ONE_WAY_MS, shuffled } from './support.ts'

const { replicateIntervalMs, recordTtlMs, refreshIntervalMs } = FAST_MAINTENANCE
let net: Testnet

beforeAll(async () => {
  net = await buildNetwork(303)
}, BUILD_TIMEOUT_MS)

afterEach(() => {
  vi.restoreAllMocks()
})

function expectTrueClosestHold(key: Id): void {
  const holding = new Set(hexes(holdersOf(net, key).map((node) => node.id)))
  for (const hex of hexes(trueClosest(liveIds(net), key, K))) expect(holding).toContain(hex)
}

describe('maintenance on a 200-node network with minute-long intervals', () => {
  it('a node that joins next to a key receives the record from one holder without a new put', async () => {
    const key = keyOf('maintenance/handoff')
    const value = bytesOf('handed over')
    await net.run(net.pick().put(key, value))
    const expiry = Math.max(...holdersOf(net, key).map((node) => node.records.meta(key)!.expiresAt))
    // Periodic replication of this key is switched off, so only the handoff can deliver it.
    for (const node of net.live()) {
      const findNode = node.findNode.bind(node)
      vi.spyOn(node, 'findNode').mockImplementation((target, options): Promise<FindNodeResult> =>
        idEquals(target, key) ? Promise.reject(new Error('replication of this key is off')) : findNode(target, options),
      )
    }

    const id = Uint8Array.from(key)
    id[19]! ^= 1
    const newcomer = await net.addNode(id)
    const received: { mode: string; from: Id }[] = []
    newcomer.on('record:stored', (event) => {
      if (idEquals(event.key, key)) received.push({ mode: event.mode, from: event.from })
    })
    expect(newcomer.records.meta(key)).toBeUndefined()
    await net.run(newcomer.bootstrap([net.pick(newcomer).id]))
    await net.advance(1_000)

    expect(received).toHaveLength(1)
    expect(received[0]!.mode).toBe('replicate')
    // The sender was the holder closest to the key before the newcomer arrived.
    const previousClosest = trueClosest(liveIds(net, newcomer), key, 1)[0]!
    expect(toHex(received[0]!.from)).toBe(toHex(previousClosest))
    expect(newcomer.records.read(key, net.clock.now()).map(({ record }) => record.value)).toEqual([value])
    expect(newcomer.records.meta(key)!.expiresAt).toBeLessThanOrEqual(expiry + MAX_ONE_WAY_MS)
  })

  it('one replication interval after a quarter of its holders fail, a key is on k live nodes again', async () => {
    const key = keyOf('maintenance/replicate')
    const { holders } = await net.run(net.pick().put(key, bytesOf('replicate me')))
    expect(holders).toHaveLength(K)
    const killed = shuffled(net, holders).slice(0, K / 4)
    for (const id of killed) await net.fail(net.node(id)!)
    expect(holdersOf(net, key)).toHaveLength(K - K / 4)

    await net.advance(replicateIntervalMs)
    expect(holdersOf(net, key).length).toBeGreaterThanOrEqual(K)
    expectTrueClosestHold(key)
  })

  describe('over more than one record lifetime', () => {
    const forgotten = keyOf('maintenance/forgotten')
    const kept = keyOf('maintenance/kept')
    let publisher: KademliaNode
    let putAt = 0
    let forgottenBeforeTtl = 0
    let keptBeforeTtl = 0

    beforeAll(async () => {
      const other = net.pick()
      await net.run(other.put(forgotten, bytesOf('nobody republishes me')))
      other.unpublish(forgotten)
      publisher = net.pick()
      putAt = net.clock.now()
      await net.run(publisher.put(kept, bytesOf('my publisher keeps running')))
      await net.advance(recordTtlMs - replicateIntervalMs)
      forgottenBeforeTtl = holdersOf(net, forgotten).length
      keptBeforeTtl = holdersOf(net, kept).length
      // Past the TTL, plus one expiry period with its 10 % jitter, plus transit time.
      await net.advance(replicateIntervalMs + 1.1 * FAST_MAINTENANCE.expireIntervalMs + 1_000)
    }, BUILD_TIMEOUT_MS)

    it('a record nobody republishes is deleted from every node after its TTL', async () => {
      expect(forgottenBeforeTtl).toBeGreaterThanOrEqual(K)
      expect(net.nodes.filter((node) => node.records.meta(forgotten) !== undefined)).toEqual([])
      const result = await net.run(net.pick().get(forgotten))
      expect(result.value).toBeUndefined()
    })

    it('a record whose publisher keeps running lives on past its original TTL', async () => {
      expect(keptBeforeTtl).toBeGreaterThanOrEqual(K)
      expect(net.clock.now()).toBeGreaterThan(putAt + recordTtlMs)
      expect(publisher.running).toBe(true)
      expect(publisher.published().map((record) => toHex(record.key))).toContain(toHex(kept))
      expect(holdersOf(net, kept).length).toBeGreaterThanOrEqual(K)
      expectTrueClosestHold(kept)
      const getter = net.live().find((node) => node.records.meta(kept) === undefined)!
      expect((await net.run(getter.get(kept))).value).toEqual(bytesOf('my publisher keeps running'))
    })
  })

  it('bucket refresh fills every bucket with the live nodes of its range after nodes fail', async () => {
    for (const node of shuffled(net, net.live()).slice(0, 20)) await net.fail(node)
    expect(missingContacts()).toBeGreaterThan(100)

    await net.advance(3 * refreshIntervalMs)
    const ideal = idealContacts()
    expect(missingContacts()).toBeLessThanOrEqual(ideal / 200)
    // Every bucket up to the nearest neighbour's was looked into within about two refresh periods.
    const now = net.clock.now()
    for (const node of net.live()) {
      for (let index = 0; index < node.table.nearestBucket(); index++) {
        expect(now - node.table.lastLookup(index)).toBeLessThanOrEqual(2.2 * refreshIntervalMs)
      }
    }
  })
})

/** For each live node and bucket: min(k, live nodes in the bucket's range). */
function idealPerBucket(node: KademliaNode, live: readonly KademliaNode[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const other of live) {
    if (other === node) continue
    const index = commonPrefixLength(node.id, other.id)
    counts.set(index, (counts.get(index) ?? 0) + 1)
  }
  for (const [index, count] of counts) counts.set(index, Math.min(K, count))
  return counts
}

function idealContacts(): number {
  const live = net.live()
  return live.reduce((sum, node) => sum + [...idealPerBucket(node, live).values()].reduce((a, b) => a + b, 0), 0)
}

/** Live contacts the routing tables lack, compared with full buckets of live nodes. */
function missingContacts(): number {
  const live = net.live()
  const alive = new Set(hexes(live.map((node) => node.id)))
  let missing = 0
  for (const node of live) {
    const have = new Map<number, number>()
    for (const contact of node.table.contacts()) {
      if (!alive.has(toHex(contact.id))) continue
      const index = node.table.bucketIndex(contact.id)
      have.set(index, (have.get(index) ?? 0) + 1)
    }
    for (const [index, ideal] of idealPerBucket(node, live)) missing += Math.max(0, ideal - (have.get(index) ?? 0))
  }
  return missing
}
