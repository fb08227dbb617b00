import { describe, expect, it } from 'vitest'
import { compareDistance, type Id, idEquals, toHex } from '../src/keyspace/id.ts'
import { KademliaNode } from '../src/node/node.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { immutableKey } from '../src/records/bep44.ts'
import { immutableRecord } from '../src/records/signed-record.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport } from '../src/transport/transport.ts'
import type { Message } from '../src/wire/messages.ts'

/**
 * Replication stores a replica with a lookup whose requests are the STOREs (`storeAround`): each
 * replica STORE's answer names the holder's k closest, so the lookup goes on as over FIND_NODE,
 * and ends with the record on the k closest it met.
 */
const K = 4
const HOUR = 3_600_000
const LATENCY_MS = 10

/**
 * 40 nodes; the last one (`holder`) counts what it sends (and to whom) and the answers it gets; a
 * record whose key is near it (it is a holder). `lie`: a node that answers STOREs with made-up IDs.
 */
async function network(seed: number) {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: LATENCY_MS })
  const nodes: KademliaNode[] = []
  const sent: Message[] = []
  const sentTo: Id[] = []
  const answers: Message[] = []
  const lie = { from: undefined as Id | undefined, nodes: [] as Id[] }
  for (let i = 0; i < 40; i++) {
    const id = random.bytes(20)
    const base = network.transport(id)
    const transport: Transport =
      i < 39
        ? {
            send: (to, message) => base.send(to, lie.from !== undefined && idEquals(id, lie.from) && message.type === 'STORED' ? { ...message, nodes: lie.nodes } : message),
            listen: (handler) => base.listen(handler),
            close: () => base.close(),
          }
        : {
            send: (to, message) => (sent.push(message), sentTo.push(to), base.send(to, message)),
            listen: (handler) => base.listen({ ...handler, onMessage: (from, message) => (answers.push(message), handler.onMessage(from, message)) }),
            close: () => base.close(),
          }
    const node = new KademliaNode({ id, transport, clock, random, k: K, replicateIntervalMs: 10 * HOUR, republishIntervalMs: 10 * HOUR, refreshIntervalMs: 10 * HOUR })
    await node.start()
    if (nodes.length > 0) await clock.run(node.bootstrap([nodes[0]!.id]))
    nodes.push(node)
  }
  // Replication is a holder's: a value whose key shares the holder's first 6 bits (of 40 nodes, about one other does).
  const holder = nodes.at(-1)!
  let value = Uint8Array.of(0)
  for (let i = 1; (immutableKey(value)[0]! ^ holder.id[0]!) >> 2 !== 0; i++) value = Uint8Array.of(i & 0xff, i >> 8)
  const key = immutableKey(value)
  sent.length = 0
  answers.length = 0
  return { clock, nodes, holder, sent, sentTo, answers, lie, key, record: immutableRecord(value) }
}

const holdersOf = (nodes: readonly KademliaNode[], key: Id, now: number): string[] =>
  nodes.filter((node) => (node.records.meta(key)?.expiresAt ?? 0) > now).map((node) => toHex(node.id))

describe('storeAround', () => {
  it('stores on the true k closest (but itself), in fewer requests than a lookup and then k STOREs, without extending the TTL', async () => {
    const net = await network(3)
    const others = net.nodes.filter((node) => node !== net.holder)
    const truth = others.map((node) => node.id).sort((a, b) => compareDistance(net.key, a, b)).slice(0, K)
    // The holder does not know the closest node: only the answers can name it.
    expect(net.holder.table.remove(truth[0]!).kind).toBe('removed')
    const expiresAt = net.clock.now() + HOUR
    const stored = await net.clock.run(net.holder.storeAround(net.key, net.record, expiresAt))
    expect(stored.map(toHex)).toEqual(truth.map(toHex))
    expect(holdersOf(others, net.key, net.clock.now()).sort()).toEqual(truth.map(toHex).sort())
    for (const node of others) {
      const meta = node.records.meta(net.key)
      // Each STORE carries the TTL left when it was sent (the copy ends when ours does, plus transit).
      if (meta !== undefined) expect(meta.expiresAt).toBeLessThanOrEqual(expiresAt + LATENCY_MS)
    }
    const storeRequests = net.sent.filter((message) => message.type === 'STORE').length
    expect(net.sent.filter((message) => message.type !== 'STORE')).toEqual([])

    // The same network, the same holder: a lookup, then a STORE to each of the k closest.
    const twin = await network(3)
    twin.holder.table.remove(truth[0]!)
    const { closest } = await twin.clock.run(twin.holder.findNode(twin.key, { paths: 1 }))
    await twin.clock.run(twin.holder.storeAt(closest, twin.key, twin.record, HOUR, 'replicate'))
    expect(closest.map(toHex)).toEqual(truth.map(toHex))
    expect(storeRequests).toBeLessThan(twin.sent.length)
  })

  it('learns closer nodes from the answers: a replica STORE is answered with the holder’s closest, any other STORE with none', async () => {
    const net = await network(5)
    const closest = [...net.nodes].sort((a, b) => compareDistance(net.key, a.id, b.id)).find((node) => node !== net.holder)!
    await net.clock.run(net.holder.storeAt([closest.id], net.key, net.record, HOUR, 'publish'))
    await net.clock.run(net.holder.storeAt([closest.id], net.key, net.record, HOUR, 'replicate'))
    const [publish, replicate] = net.answers.filter((message) => message.type === 'STORED')
    expect(publish).toMatchObject({ type: 'STORED', nodes: [] })
    const named = replicate?.type === 'STORED' ? replicate.nodes : []
    expect(named.map(toHex)).toEqual(closest.table.closest(net.key, K, (contact) => idEquals(contact.id, net.holder.id)).map(toHex))
    expect(named.length).toBe(K)
  })

  it('asks at most maxIntroducedPerPeer of the made-up IDs a lying holder answers with, and stores on the true k closest all the same', async () => {
    const net = await network(3)
    const others = net.nodes.filter((node) => node !== net.holder)
    const truth = others.map((node) => node.id).sort((a, b) => compareDistance(net.key, a, b)).slice(0, K)
    // The closest node answers every replica STORE with 8 IDs nobody has, closer to the key than anyone.
    const fakes = Array.from({ length: 8 }, (_, i) => Uint8Array.from([...net.key.subarray(0, 19), net.key[19]! ^ (i + 1)]))
    Object.assign(net.lie, { from: truth[0], nodes: fakes })
    const stored = await net.clock.run(net.holder.storeAround(net.key, net.record, net.clock.now() + HOUR))
    const fake = new Set(fakes.map(toHex))
    const toFakes = net.sentTo.filter((to) => fake.has(toHex(to))).length
    expect(toFakes).toBeGreaterThan(0)
    expect(toFakes).toBeLessThanOrEqual(net.holder.options.maxIntroducedPerPeer)
    expect(stored.map(toHex)).toEqual(truth.map(toHex))
    expect(holdersOf(others, net.key, net.clock.now()).sort()).toEqual(truth.map(toHex).sort())
  })
})
