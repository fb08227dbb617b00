import { afterEach, describe, expect, it } from 'vitest'
import { createNode, cryptoRandom, type KademliaNode, keyOf, systemClock, toHex } from '@browser-dht/kademlia'
import { TestNetwork } from './helpers/network.ts'

const net = new TestNetwork()
const nodes: KademliaNode[] = []
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.stop()
  net.closeAll()
})

async function startNode(maxRecords?: number): Promise<{ node: KademliaNode; transport: TestNetwork['peers'][number]['transport'] }> {
  const peer = net.add({ listen: false })
  const node = createNode({ id: peer.id, transport: peer.transport, clock: systemClock(), random: cryptoRandom(), maxRecords })
  nodes.push(node)
  await node.start()
  return { node, transport: peer.transport }
}

describe('Kademlia nodes over WebRTC', () => {
  it('stores a value through one node and finds it through another', async () => {
    const a = await startNode()
    const b = await startNode()
    const c = await startNode()
    const storedAt: { from: string; at: string }[] = []
    for (const { node } of [a, b, c]) node.on('record:stored', (e) => storedAt.push({ from: toHex(e.from), at: toHex(node.id) }))

    expect(await b.node.bootstrap([a.node.id])).toBeGreaterThan(0)
    expect(await c.node.bootstrap([a.node.id])).toBeGreaterThan(0)
    const value = new TextEncoder().encode('hello over a data channel')
    const put = await a.node.put(keyOf('alice'), value)
    expect(put.holders.map((id) => toHex(id)).sort()).toEqual([a, b, c].map(({ node }) => toHex(node.id)).sort())
    expect(storedAt).toContainEqual({ from: toHex(a.node.id), at: toHex(b.node.id) })

    // d holds no records, so its get must ask the others. It has a channel to c only: its requests
    // to a and b travel as relays through c, and their answers come back the same way.
    const d = await startNode(0)
    await d.node.bootstrap([c.node.id])
    const got = await d.node.get(keyOf('alice'))
    expect(got.value).toEqual(value)
    expect([a, b, c].map(({ node }) => toHex(node.id))).toContain(toHex(got.from!))
    const found = await d.node.findNode(a.node.id)
    expect(found.closest.map((id) => toHex(id))).toContain(toHex(a.node.id))
    expect(d.transport.stats()).toMatchObject({ open: 1, connectionsCreated: 1 })
    expect(d.transport.stats().relaysSent).toBeGreaterThan(0)
    expect(d.transport.stats().relaysReceived).toBeGreaterThan(0)
    expect(c.transport.stats().relaysForwarded).toBeGreaterThan(0)
    expect(a.transport.stats().dropped).toMatchObject({ 'frame-too-large': 0, 'bad-signal': 0, 'budget-full': 0 })
  })
})
