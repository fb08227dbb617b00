import { ErrorCode, idEquals, keyOf, toHex } from '@browser-dht/kademlia'
import type { Id, KademliaNode } from '@browser-dht/kademlia'
import { beforeAll, describe, expect, it } from 'vitest'
import { trueClosest } from '../src/brute-force.ts'
import type { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, buildNetwork, FAST_MAINTENANCE, hexes, K, liveIds, NETWORK_SIZE, shuffled } from './support.ts'

const VALUES = 30
let net: Testnet
const stored = new Map<string, { key: Id; value: Uint8Array; holders: Set<string> }>()
const failed = new Set<string>()

beforeAll(async () => {
  net = await buildNetwork(202)
  for (let i = 0; i < VALUES; i++) {
    const key = keyOf(`failure/${i}`)
    const value = net.random.bytes(16 + i)
    const { holders } = await net.run(net.pick().put(key, value))
    stored.set(toHex(key), { key, value, holders: new Set(hexes(holders)) })
  }
  // A quarter of the network disappears at once, without a word to anyone.
  for (const node of shuffled(net, net.live()).slice(0, NETWORK_SIZE / 4)) {
    failed.add(toHex(node.id))
    await net.fail(node)
  }
}, BUILD_TIMEOUT_MS)

function deadContacts(node: KademliaNode): Id[] {
  return [...node.table.contacts()].map((contact) => contact.id).filter((id) => failed.has(toHex(id)))
}

function countDeadContacts(): number {
  return net.live().reduce((sum, node) => sum + deadContacts(node).length, 0)
}

/** Pings `peer` from `node` until the table drops it; returns how many pings that took. */
async function pingUntilRemoved(node: KademliaNode, peer: Id, limit: number): Promise<number> {
  let pings = 0
  while (node.table.has(peer) && pings < limit) {
    const startedAt = net.clock.now()
    expect(await net.run(node.ping(peer))).toBe(false)
    expect(net.clock.now() - startedAt).toBeGreaterThanOrEqual(FAST_MAINTENANCE.requestTimeoutMs)
    pings++
  }
  return pings
}

describe('a 200-node network after a quarter of its nodes fail without notice', () => {
  it('finds every value that was put before the failure', async () => {
    const keysThatLostHolders = [...stored.values()].filter(({ holders }) => [...holders].some((hex) => failed.has(hex)))
    expect(keysThatLostHolders.length).toBeGreaterThan(VALUES / 2)
    expect(net.live()).toHaveLength(NETWORK_SIZE - NETWORK_SIZE / 4)

    for (const { key, value } of stored.values()) {
      const getter = shuffled(net, net.live()).find((node) => node.records.meta(key) === undefined)!
      const result = await net.run(getter.get(key))
      expect(result.value).toEqual(value)
      expect(failed.has(toHex(result.from!))).toBe(false)
    }
  })

  it("new puts do not wait out each failed node's timeout, and store on k live nodes", async () => {
    const durations: number[] = []
    for (let i = 0; i < 10; i++) {
      const started = net.clock.now()
      const { holders, trace } = await net.run(net.pick().put(keyOf(`failure/after/${i}`), Uint8Array.of(i)))
      durations.push(net.clock.now() - started)
      expect(holders).toHaveLength(K)
      expect(holders.some((id) => failed.has(toHex(id)))).toBe(false)
      expect(trace.slowRequests).toBeGreaterThan(0)
    }
    // Each put's lookup meets failed nodes. A request to one turns slow after a few round trips,
    // and the paths go on without it once a request sent later has been answered. Waiting for
    // each to time out took 1,394 ms at the median here (1,442 with this test run alone); this
    // takes 664 (843 alone). The network is seeded and its clock virtual: the figures repeat.
    durations.sort((a, b) => a - b)
    expect(durations[5]!).toBeLessThan(2 * FAST_MAINTENANCE.requestTimeoutMs)
  })

  it('drops a failed contact at its first timeout when a replacement is waiting in its bucket', async () => {
    const pair = findDeadContact((node, bucketIndex) => bucketReplacements(node, bucketIndex) > 0)
    expect(pair).toBeDefined()
    const { node, peer } = pair!
    const bucketIndex = node.table.bucketIndex(peer)
    const removed = collectRemovals(node)

    expect(await pingUntilRemoved(node, peer, node.options.staleLimit)).toBe(1)
    expect(node.table.has(peer)).toBe(false)
    expect(removed.filter((hex) => hex === toHex(peer))).toHaveLength(1)
    // The newest replacement takes the failed contact's place, so the bucket stays full.
    expect(bucketSize(node, bucketIndex)).toBe(K)
  })

  it('drops a failed contact after staleLimit timeouts in a row when no replacement is waiting', async () => {
    const pair = findDeadContact((node, bucketIndex) => bucketReplacements(node, bucketIndex) === 0)
    expect(pair).toBeDefined()
    const { node, peer } = pair!
    const removed = collectRemovals(node)
    const earlierFailures = node.table.get(peer)!.failures
    expect(earlierFailures).toBeLessThan(node.options.staleLimit)

    const pings = await pingUntilRemoved(node, peer, node.options.staleLimit)
    expect(pings).toBe(node.options.staleLimit - earlierFailures)
    expect(node.table.has(peer)).toBe(false)
    expect(removed.filter((hex) => hex === toHex(peer))).toHaveLength(1)
  })

  it('removes most failed contacts from live routing tables within three refresh intervals', async () => {
    const before = countDeadContacts()
    expect(before).toBeGreaterThan(1_000)
    await net.advance(3 * FAST_MAINTENANCE.refreshIntervalMs)
    const after = countDeadContacts()
    // Without refresh about 85 % would still be there: failed contacts go only when asked.
    expect(after).toBeLessThan(before / 5)
  })

  it.each(['stops', 'fails without notice'] as const)(
    'a node that %s can come back under the same ID and is found by findNode again',
    async (how) => {
      const old = net.pick()
      const id = old.id
      // The network holds one transport per ID: a second node cannot take a running node's ID.
      await expect(net.addNode(id)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })

      if (how === 'stops') await old.stop()
      else await net.fail(old)
      await net.advance(FAST_MAINTENANCE.refreshIntervalMs)
      const whileGone = await net.run(net.pick().findNode(id))
      expect(whileGone.closest.some((found) => idEquals(found, id))).toBe(false)

      const again = await net.addNode(id)
      expect(again).not.toBe(old)
      const peers = await net.run(again.bootstrap([net.pick(again).id]))
      expect(peers).toBeGreaterThanOrEqual(K)
      expect(net.live()).toContain(again)

      for (const asker of shuffled(net, net.live().filter((node) => node !== again)).slice(0, 10)) {
        const { closest } = await net.run(asker.findNode(id))
        expect(toHex(closest[0]!)).toBe(toHex(id))
        expect(hexes(closest)).toEqual(hexes(trueClosest(liveIds(net, asker), id, K)))
      }
    },
  )
})

function collectRemovals(node: KademliaNode): string[] {
  const removed: string[] = []
  node.on('peer:removed', (event) => removed.push(toHex(event.id)))
  return removed
}

function bucketSize(node: KademliaNode, bucketIndex: number): number {
  return node.table.buckets().find((bucket) => bucket.index === bucketIndex)?.contacts.length ?? 0
}

function bucketReplacements(node: KademliaNode, bucketIndex: number): number {
  return node.table.buckets().find((bucket) => bucket.index === bucketIndex)?.replacements ?? 0
}

/** A live node with a failed contact, in a bucket that satisfies `where`. */
function findDeadContact(where: (node: KademliaNode, bucketIndex: number) => boolean): { node: KademliaNode; peer: Id } | undefined {
  for (const node of shuffled(net, net.live())) {
    const peer = deadContacts(node).find((id) => where(node, node.table.bucketIndex(id)))
    if (peer !== undefined) return { node, peer }
  }
  return undefined
}
