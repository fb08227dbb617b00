import { describe, expect, it } from 'vitest'
import { compareDistance, type Id, idEquals, keyOf } from '../src/keyspace/id.ts'
import { KademliaNode } from '../src/node/node.ts'
import type { Tunables } from '../src/node/options.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport } from '../src/transport/transport.ts'
import { signerFor } from './support.ts'

/**
 * Under churn: a lookup does not wait the full request timeout on a peer that crashed after it
 * had answered quickly (its wait follows its round trips), and the next lookup does not ask it
 * again, even when other peers still name it.
 */
const TIMEOUT = 2000
const TARGET = keyOf('target')

interface Net {
  clock: VirtualClock
  network: MemoryNetwork
  nodes: KademliaNode[]
  /** Requests the asker sent, by recipient (hex). */
  sentTo: (id: Id) => number
}

async function network(tunables: Partial<Tunables>): Promise<Net> {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(11)
  const network = new MemoryNetwork({ clock, random, latencyMs: 10 })
  const sent: Id[] = []
  const nodes: KademliaNode[] = []
  for (let i = 0; i < 16; i++) {
    const id = random.bytes(20)
    const base = network.transport(id)
    const transport: Transport = i > 0 ? base : { ...base, send: (to, message) => (sent.push(to), base.send(to, message)), listen: (h) => base.listen(h), close: () => base.close() }
    const node = new KademliaNode({ id, transport, clock, random, k: 4, requestTimeoutMs: TIMEOUT, signer: signerFor(id), ...tunables })
    await node.start()
    if (nodes.length > 0) await clock.run(node.bootstrap([nodes[0]!.id]))
    nodes.push(node)
  }
  // The asker learns everyone's round trips.
  for (const node of nodes.slice(1)) await clock.run(nodes[0]!.ping(node.id))
  return { clock, network, nodes, sentTo: (id) => sent.filter((to) => idEquals(to, id)).length }
}

/** The node (not the asker) that a lookup for TARGET is sure to ask: the closest one. */
async function crashClosest(net: Net): Promise<Id> {
  const found = await net.clock.run(net.nodes[0]!.findNode(TARGET))
  const victim = found.closest.find((id) => !idEquals(id, net.nodes[0]!.id))!
  net.network.fail(victim)
  return victim
}

async function lookupMs(net: Net): Promise<number> {
  const started = net.clock.now()
  await net.clock.run(net.nodes[0]!.findNode(TARGET))
  return net.clock.now() - started
}

/** Slow requests off (never sooner than a timeout): these tests are about when a request fails, so the lookups wait for it. */
const WAIT = { minSlowRequestMs: TIMEOUT }

describe('timeouts that follow round trips, and contacts that just failed', () => {
  it('a lookup waits on a crashed peer a few of its round trips, where a fixed timeout waits 2 s', async () => {
    const adaptive = await network({ ...WAIT, minRequestTimeoutMs: 100 })
    const fixed = await network({ ...WAIT, minRequestTimeoutMs: TIMEOUT })
    await crashClosest(adaptive)
    await crashClosest(fixed)
    const [fast, slow] = [await lookupMs(adaptive), await lookupMs(fixed)]
    expect(slow).toBeGreaterThanOrEqual(TIMEOUT)
    expect(fast).toBeLessThan(500)
  })

  it('the next lookup does not ask a contact that just failed, until its rest is over', async () => {
    const net = await network({ ...WAIT, minRequestTimeoutMs: 100, failedContactRestMs: 30_000 })
    const victim = await crashClosest(net)
    await lookupMs(net)
    const asked = net.sentTo(victim)
    expect(asked).toBeGreaterThanOrEqual(1)
    expect(await lookupMs(net)).toBeLessThan(200)
    expect(net.sentTo(victim)).toBe(asked)
    await net.clock.advance(30_000)
    await lookupMs(net)
    expect(net.sentTo(victim)).toBeGreaterThan(asked)
  })

  it('nor a node whose link closed and is no longer in its table, while other peers still name it', async () => {
    const net = await network({ ...WAIT, minRequestTimeoutMs: 100, failedContactRestMs: 30_000 })
    const victim = await crashClosest(net)
    // The asker's link to it closed: out of the asker's table, still in the others'. It rests
    // from the start, as after a proven failure (the transport's word is the asker's own).
    net.nodes[0]!.forget(victim)
    expect(net.nodes[0]!.table.has(victim)).toBe(false)
    const asked = net.sentTo(victim)
    await lookupMs(net)
    await lookupMs(net)
    await lookupMs(net)
    expect(net.sentTo(victim)).toBe(asked)
    // Its first rest: 30 s, spread from 0.5 to 1.5 times.
    await net.clock.advance(45_000)
    await lookupMs(net)
    expect(net.sentTo(victim)).toBeGreaterThan(asked)
  })

  it('with failedContactRestMs 0, every lookup asks it again', async () => {
    const net = await network({ ...WAIT, minRequestTimeoutMs: 100, failedContactRestMs: 0 })
    const victim = await crashClosest(net)
    await lookupMs(net)
    const asked = net.sentTo(victim)
    await lookupMs(net)
    expect(net.sentTo(victim)).toBeGreaterThan(asked)
  })
})

describe('bootstrap PINGs that time out while their connections open', () => {
  it('pings every contact once more when none answered the first round, and joins', async () => {
    const clock = new VirtualClock(1_000_000)
    const random = seededRandom(5)
    const network = new MemoryNetwork({ clock, random, latencyMs: 10 })
    const others: KademliaNode[] = []
    for (let i = 0; i < 3; i++) {
      const id = random.bytes(20)
      const node = new KademliaNode({ id, transport: network.transport(id), clock, random, k: 4 })
      await node.start()
      others.push(node)
    }
    const id = random.bytes(20)
    const base = network.transport(id)
    // The first PING to each contact is lost (its connection was still opening).
    const pinged = new Set<string>()
    const pings: string[] = []
    const send: Transport['send'] = (to, message) => {
      const name = String(to)
      if (message.type === 'PING') pings.push(name)
      if (message.type === 'PING' && !pinged.has(name)) return void pinged.add(name)
      base.send(to, message)
    }
    const joiner = new KademliaNode({ id, transport: { ...base, send, listen: (h) => base.listen(h), close: () => base.close() }, clock, random, k: 4, requestTimeoutMs: TIMEOUT })
    await joiner.start()
    expect(await clock.run(joiner.bootstrap(others.map((node) => node.id)))).toBeGreaterThanOrEqual(3)
    expect(pings).toHaveLength(6)
  })
})

describe('slow requests: a get or a put does not wait on a crashed node it never heard from', () => {
  /** A newcomer's get of a key whose closest holder crashed unnoticed: how long it took, and what it found. */
  async function newcomerGet(tunables: Partial<Tunables>): Promise<{ ms: number; found: boolean; slow: number }> {
    const net = await network({ minRequestTimeoutMs: 100, ...tunables })
    const key = keyOf('slow/key')
    await net.clock.run(net.nodes[5]!.put(key, Uint8Array.of(1, 2, 3)))
    const holders = net.nodes.filter((node) => node.records.meta(key) !== undefined).sort((a, b) => compareDistance(key, a.id, b.id))
    net.network.fail(holders[0]!.id)
    // It has heard from the nodes its join met; the key's closest is most likely a stranger to it.
    const random = seededRandom(12)
    const id = random.bytes(20)
    const newcomer = new KademliaNode({ id, transport: net.network.transport(id), clock: net.clock, random, k: 4, requestTimeoutMs: TIMEOUT, ...tunables })
    await newcomer.start()
    await net.clock.run(newcomer.bootstrap([net.nodes[1]!.id]))
    const started = net.clock.now()
    const before = newcomer.stats().slowRequests
    const result = await net.clock.run(newcomer.get(key))
    // The node's stats count its lookups' slow requests.
    expect(newcomer.stats().slowRequests - before).toBe(result.trace.slowRequests)
    return { ms: net.clock.now() - started, found: result.value !== undefined, slow: result.trace.slowRequests }
  }

  it('asks the next holders after about a round trip of the network, where waiting for the timeout takes 2 s', async () => {
    const slow = await newcomerGet({})
    const waited = await newcomerGet({ minSlowRequestMs: TIMEOUT })
    expect(waited.found).toBe(true)
    expect(waited.slow).toBe(0)
    expect(waited.ms).toBeGreaterThanOrEqual(TIMEOUT)
    expect(slow.found).toBe(true)
    expect(slow.slow).toBeGreaterThanOrEqual(1)
    expect(slow.ms).toBeLessThan(300)
  })

  /**
   * A newcomer's put under the ID of a node it never heard from, which crashed unnoticed (so it is
   * the key's closest node): how long the put took, and the holders.
   */
  async function newcomerPut(tunables: Partial<Tunables>): Promise<{ ms: number; holders: Id[]; crashed: Id; slow: number }> {
    const net = await network({ minRequestTimeoutMs: 100, ...tunables })
    const random = seededRandom(13)
    const id = random.bytes(20)
    const newcomer = new KademliaNode({ id, transport: net.network.transport(id), clock: net.clock, random, k: 4, requestTimeoutMs: TIMEOUT, signer: signerFor(id), ...tunables })
    await newcomer.start()
    await net.clock.run(newcomer.bootstrap([net.nodes[1]!.id]))
    const crashed = net.nodes.map((node) => node.id).find((other) => !newcomer.table.has(other))!
    net.network.fail(crashed)
    const started = net.clock.now()
    const { holders, trace } = await net.clock.run(newcomer.put(crashed, Uint8Array.of(7)))
    return { ms: net.clock.now() - started, holders, crashed, slow: trace.slowRequests }
  }

  it("a put's lookup goes on to the next node after about a round trip, where waiting for the timeout takes 2 s", async () => {
    const slow = await newcomerPut({})
    const waited = await newcomerPut(WAIT)
    expect(waited.ms).toBeGreaterThanOrEqual(TIMEOUT)
    expect(slow.slow).toBeGreaterThanOrEqual(1)
    expect(slow.ms).toBeLessThan(300)
    // Stored on k live nodes all the same, the crashed one not among them.
    for (const result of [slow, waited]) {
      expect(result.holders).toHaveLength(4)
      expect(result.holders.some((id) => idEquals(id, result.crashed))).toBe(false)
    }
  })
})
