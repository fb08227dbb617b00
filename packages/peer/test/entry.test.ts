import { createNode, ID_BYTES, type KademliaNode, MemoryNetwork, seededRandom, toHex, VirtualClock } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import type { ClientSignaler } from '../src/signaling/client-signaler.ts'
import { Entry } from '../src/signaling/entry.ts'
import type { SignalingLink } from '../src/signaling/signaling-link.ts'

const K = 3

/** Nodes on one in-memory network; each joins through the earlier nodes its entry names (indices). */
async function nodes(joins: (readonly number[])[]) {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(7)
  const network = new MemoryNetwork({ clock, random, latencyMs: 5 })
  const all: KademliaNode[] = []
  for (const through of joins) {
    const id = random.bytes(ID_BYTES)
    const node = createNode({ id, transport: network.transport(id), clock, random, k: K })
    await node.start()
    all.push(node)
    if (through.length > 0) await clock.run(node.bootstrap(through.map((i) => all[i]!.id)))
  }
  return { clock, nodes: all }
}

/** A signaling link whose server names `peers`, counting how often it is asked. */
function server(peers: readonly KademliaNode[]) {
  const link = { asked: 0, signaler: {} as ClientSignaler, requestPeers: async () => (link.asked++, peers.map((node) => toHex(node.id))) }
  return link as typeof link & SignalingLink
}

describe('entering the overlay again', () => {
  it('a node left with fewer than k contacts asks its servers again and enters through the peers it does not know', async () => {
    // A joins through B alone; C and D form a second group that never heard of A.
    const { clock, nodes: [a, b, c, d] } = await nodes([[], [0], [], [2]])
    expect(a!.table.size).toBe(1)
    const link = server([b!, c!, d!])
    const entry = new Entry({ node: a!, introduce: () => {} })
    await clock.run(entry.again([link]))
    expect(link.asked).toBe(1)
    expect(a!.table.size).toBeGreaterThanOrEqual(K)
    // With k contacts it asks nobody.
    await clock.run(entry.again([link]))
    expect(link.asked).toBe(1)
  })

  it('in a network smaller than k + 1, stops asking once a server names nobody new, until its table is empty', async () => {
    const { clock, nodes: [a, b] } = await nodes([[], [0]])
    const link = server([b!])
    const entry = new Entry({ node: a!, introduce: () => {} })
    await entry.again([link])
    await entry.again([link])
    expect(link.asked).toBe(1)
    a!.table.remove(b!.id)
    await clock.run(entry.again([link]))
    expect(link.asked).toBe(2)
  })
})

describe('entering for the first time', () => {
  it('is joined once its own lookup is done; its farther buckets are filled right after, not before', async () => {
    const { clock, nodes: all } = await nodes([[], [0], [0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], []])
    const newcomer = all.at(-1)!
    /** Buckets farther than the nearest neighbour's that are neither full nor looked into. */
    const unfilled = (): number[] =>
      Array.from({ length: newcomer.table.nearestBucket() }, (_, index) => index).filter(
        (index) => newcomer.table.bucketSize(index) < K && newcomer.table.lastLookup(index) === Number.NEGATIVE_INFINITY,
      )
    let atJoin = -1
    const entry = new Entry({ node: newcomer, introduce: () => {}, joined: () => void (atJoin = unfilled().length) })
    await clock.run(entry.through([toHex(all[0]!.id), toHex(all[5]!.id)], {} as ClientSignaler))
    expect(atJoin).toBeGreaterThan(0)
    await clock.advance(10_000)
    expect(unfilled()).toEqual([])
  })
})
