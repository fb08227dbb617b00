import { describe, expect, it } from 'vitest'
import { compareDistance, type Id, idEquals } from '../src/keyspace/id.ts'
import { KademliaNode } from '../src/node/node.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport } from '../src/transport/transport.ts'

/**
 * The join: `bootstrap`'s lookup of our own ID covers the buckets nearer than its k-th closest
 * node; `fillBuckets` looks into the farther ones that are not full, each lookup ending once its
 * bucket holds k contacts.
 */
const K = 4
const HOUR = 3_600_000

/** 60 nodes joined one after another; then a newcomer that counts its FIND_NODE targets, bootstrapped without a refresh. */
async function joined(seed: number, k = K) {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: 10 })
  const nodes: KademliaNode[] = []
  for (let i = 0; i < 60; i++) {
    const id = random.bytes(20)
    const node = new KademliaNode({ id, transport: network.transport(id), clock, random, k })
    await node.start()
    if (nodes.length > 0) await clock.run(node.bootstrap([nodes[0]!.id]))
    nodes.push(node)
  }
  const id = random.bytes(20)
  const targets: Id[] = []
  const base = network.transport(id)
  const transport: Transport = {
    send: (to, message) => (message.type === 'FIND_NODE' && targets.push(message.target), base.send(to, message)),
    listen: (handler) => base.listen(handler),
    close: () => base.close(),
  }
  const newcomer = new KademliaNode({ id, transport, clock, random, k })
  await newcomer.start()
  await clock.run(newcomer.bootstrap([nodes[0]!.id], { refreshBuckets: false }))
  const selfLookup = targets.splice(0)
  return { clock, nodes, newcomer, targets, selfLookup }
}

/** Buckets farther than the nearest neighbour's that are neither full nor were looked into. */
function unfilled(node: KademliaNode): number[] {
  return farther(node).filter((index) => node.table.bucketSize(index) < node.options.k && node.table.lastLookup(index) === Number.NEGATIVE_INFINITY)
}

/** The buckets farther than the nearest neighbour's. */
function farther(node: KademliaNode): number[] {
  return Array.from({ length: node.table.nearestBucket() }, (_, index) => index)
}

describe('joining', () => {
  it('fills only the buckets its own lookup did not cover (none nearer than the k-th closest node) and that are not full', async () => {
    const { clock, nodes, newcomer, targets, selfLookup } = await joined(5)
    expect(selfLookup.length).toBeGreaterThan(0)
    expect(selfLookup.every((target) => idEquals(target, newcomer.id))).toBe(true)
    const kth = nodes.map((node) => node.id).sort((a, b) => compareDistance(newcomer.id, a, b))[K - 1]!
    const covered = newcomer.table.bucketIndex(kth)
    // Nodes of bucket 0's range fill it by pinging the newcomer.
    for (const node of nodes) if (newcomer.table.bucketIndex(node.id) === 0 && newcomer.table.bucketSize(0) < K) await clock.run(node.ping(newcomer.id))
    const full = farther(newcomer).filter((index) => newcomer.table.bucketSize(index) === K)
    expect(full).toContain(0)
    expect(unfilled(newcomer).length).toBeGreaterThan(0)
    await clock.run(newcomer.fillBuckets())
    expect(targets.length).toBeGreaterThan(0)
    for (const target of targets) {
      expect(newcomer.table.bucketIndex(target)).toBeLessThanOrEqual(covered)
      expect(full).not.toContain(newcomer.table.bucketIndex(target))
    }
    expect(unfilled(newcomer)).toEqual([])
  })

  it('ends the lookup into a bucket once the bucket holds k contacts: fewer requests than a refresh of it', async () => {
    /** Requests into bucket 0 after it was brought to k − 1 contacts (nodes of its range ping the newcomer). */
    const intoBucket0 = async (look: (node: KademliaNode) => Promise<void>): Promise<number> => {
      const { clock, nodes, newcomer, targets } = await joined(3)
      for (const node of nodes) {
        if (newcomer.table.bucketSize(0) >= K - 1) break
        if (newcomer.table.bucketIndex(node.id) === 0) await clock.run(node.ping(newcomer.id))
      }
      expect(newcomer.table.bucketSize(0)).toBe(K - 1)
      await clock.run(look(newcomer))
      expect(newcomer.table.bucketSize(0)).toBe(K)
      return targets.filter((target) => newcomer.table.bucketIndex(target) === 0).length
    }
    const filled = await intoBucket0((node) => node.fillBuckets())
    // The same buckets (those the self-lookup did not mark), each lookup to its end.
    const refreshed = await intoBucket0((node) => node.refreshBuckets(HOUR))
    expect(filled).toBeGreaterThan(0)
    expect(filled).toBeLessThan(refreshed)
  })
})
