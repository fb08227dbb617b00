import { describe, expect, it } from 'vitest'
import type { Id } from '../src/keyspace/id.ts'
import { ID_BYTES, idEquals, randomIdInBucket, toHex } from '../src/keyspace/id.ts'
import { KademliaNode } from '../src/node/node.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport, TransportHandler } from '../src/transport/transport.ts'
import { isRequest, type Message } from '../src/wire/messages.ts'

/**
 * Proven and unproven failures at node level: a request the transport reports undeliverable (a
 * relay says so, and may lie) or a timeout of a request sent through a relay cannot evict a
 * contact on its own; a timeout on a direct channel can.
 */
const TIMEOUT = 500

interface Victim {
  node: KademliaNode
  /** The transport's answer to `direct(to)`. */
  direct: boolean
  /** While set, every request to this peer is reported undeliverable (and still sent). */
  forgeFor: Id | undefined
}

async function setup(seed: number): Promise<{ clock: VirtualClock; network: MemoryNetwork; victim: Victim; peer: KademliaNode; spare: KademliaNode }> {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: 10 })
  const victimId = random.bytes(ID_BYTES)
  // k = 1: the peer and the spare fall into the same bucket, so the spare waits as a replacement.
  const options = { k: 1, requestTimeoutMs: TIMEOUT, clock, random }
  const victim: Victim = { node: undefined!, direct: true, forgeFor: undefined }
  victim.node = new KademliaNode({ ...options, id: victimId, transport: forging(network.transport(victimId), victim) })
  const make = async (id: Id): Promise<KademliaNode> => {
    const node = new KademliaNode({ ...options, id, transport: network.transport(id) })
    await node.start()
    return node
  }
  const peer = await make(randomIdInBucket(victimId, 0, random))
  const spare = await make(randomIdInBucket(victimId, 0, random))
  await victim.node.start()
  expect(await clock.run(victim.node.ping(peer.id))).toBe(true)
  expect(await clock.run(victim.node.ping(spare.id))).toBe(true)
  expect(victim.node.table.has(peer.id)).toBe(true)
  expect(victim.node.table.buckets()[0]!.replacements).toBe(1)
  return { clock, network, victim, peer, spare }
}

/** The victim's transport, with a relay in the path that reports requests undeliverable when told to. */
function forging(base: Transport, victim: Victim): Transport {
  let handler: TransportHandler | undefined
  return {
    send: (to: Id, message: Message) => {
      base.send(to, message)
      if (victim.forgeFor !== undefined && idEquals(to, victim.forgeFor) && isRequest(message)) handler?.onUndeliverable?.(to, message)
    },
    listen: (h) => {
      handler = h
      base.listen(h)
    },
    close: () => base.close(),
    direct: () => victim.direct,
  }
}

/** Pings `peer` (which must fail) and says how: before the timeout or at it, and whether `peer` left the table. */
async function failedPing(node: KademliaNode, peer: Id, clock: VirtualClock): Promise<string | undefined> {
  const removed: string[] = []
  const off = node.on('peer:removed', ({ id }) => removed.push(toHex(id)))
  const started = clock.now()
  const answered = await clock.run(node.ping(peer))
  off()
  expect(answered).toBe(false)
  return `${clock.now() - started < TIMEOUT ? 'fast' : 'timeout'}${removed.length > 0 ? ', removed' : ''}`
}

describe('a node and failures it cannot prove', () => {
  it('keeps a live contact after one forged UNDELIVERABLE, though a replacement waits, and fails the request before its timeout', async () => {
    const { clock, victim, peer, spare } = await setup(1)
    victim.forgeFor = peer.id
    expect(await failedPing(victim.node, peer.id, clock)).toBe('fast')
    expect(victim.node.table.has(peer.id)).toBe(true)
    expect(victim.node.table.get(peer.id)?.failures).toBe(1)
    // Nor does it rest from lookups (failedContactRestMs): a lone forged report does not count.
    expect(victim.node.table.get(peer.id)?.failedAt).toBeUndefined()
    expect(victim.node.table.has(spare.id)).toBe(false)
    // Counted as failed, so the victim no longer names it in its answers until it is heard from.
    const { closest } = await clock.run(spare.findNode(peer.id))
    expect(closest.some((id) => idEquals(id, peer.id))).toBe(false)
  })

  it('evicts the contact at the second unproven failure in a row, and not if it was heard from in between', async () => {
    const { clock, victim, peer } = await setup(2)
    victim.forgeFor = peer.id
    expect(await failedPing(victim.node, peer.id, clock)).toBe('fast')
    expect(victim.node.table.get(peer.id)?.failures).toBe(1)
    // The peer is heard from (it asks something): the count starts over.
    await clock.run(peer.ping(victim.node.id))
    expect(victim.node.table.get(peer.id)?.failures).toBe(0)
    expect(await failedPing(victim.node, peer.id, clock)).toBe('fast')
    expect(victim.node.table.has(peer.id)).toBe(true)
    expect(await failedPing(victim.node, peer.id, clock)).toBe('fast, removed')
    expect(victim.node.table.has(peer.id)).toBe(false)
  })

  it('replaces a silent contact at its first timeout on a direct channel, but not on a relayed one', async () => {
    for (const direct of [true, false]) {
      const { clock, network, victim, peer, spare } = await setup(3)
      network.fail(peer.id)
      victim.direct = direct
      expect(await failedPing(victim.node, peer.id, clock)).toBe(direct ? 'timeout, removed' : 'timeout')
      expect(victim.node.table.has(peer.id)).toBe(!direct)
      expect(victim.node.table.has(spare.id)).toBe(direct)
    }
  })
})
