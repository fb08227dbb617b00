/**
 * The overlay on its own (fake peers, virtual clock): Kademlia nodes whose transports hold a
 * small connection budget, a connection manager choosing which connections to keep, requests to
 * everyone else travelling as relays, and new connections signaled through the overlay.
 */
import { describe, expect, it } from 'vitest'
import { compareDistance, createNode, type Id, type KademliaNode, keyOf, seededRandom, toHex } from '@browser-dht/kademlia'
import { ConnectionManager } from '../src/overlay/connection-manager.ts'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { FakeNetwork, type FakeNode } from './helpers/fake-network.ts'

interface OverlayNode {
  fake: FakeNode
  node: KademliaNode
  manager: ConnectionManager
}

const K = 8

async function buildOverlay(count: number, budget: number, serverUp: { value: boolean }) {
  const net = new FakeNetwork({ signaling: { filter: () => serverUp.value } })
  const nodes: OverlayNode[] = []
  let mostLinks = 0
  const watch = (): void => {
    for (const { fake } of nodes) mostLinks = Math.max(mostLinks, fake.transport.peers().length)
  }
  // Every 50 virtual ms, note the most connections any node holds.
  const watchLoop = (): void => {
    watch()
    net.clock.setTimeout(watchLoop, 50)
  }
  watchLoop()
  const step = (ms: number): Promise<void> => net.clock.advance(ms)
  /**
   * A node that joins through up to three earlier nodes, as a signaling server would name them
   * (dialed through the server: it has no channel yet).
   */
  let added = 0
  const addNode = async (startManager = true, entryCount = 3): Promise<OverlayNode> => {
    const index = added++
    const identity = identityFromSecretKey(seededRandom(1000 + index).bytes(32))
    const fake = net.add({ identity, random: seededRandom(2000 + index), maxConnections: budget, idleAfterMs: 3000 })
    const node = createNode({ id: fake.id, transport: fake.transport, clock: net.clock, random: seededRandom(index + 1), k: K, requestTimeoutMs: 1000 })
    const manager = new ConnectionManager({ transport: fake.transport, table: node.table, clock: net.clock, intervalMs: 500, check: (id) => void node.ping(id) })
    await node.start()
    if (startManager) manager.start()
    const overlayNode = { fake, node, manager }
    const earlier = nodes.slice()
    nodes.push(overlayNode)
    // Like a tab: entries that refuse (their budget is full of wanted connections) are retried
    // with other entries a moment later.
    const pick = seededRandom((index + 1) * 7)
    for (let attempt = 0; earlier.length > 0 && node.table.size === 0; attempt++) {
      if (attempt === 5) throw new Error(`node ${nodes.length - 1} could not join: ${JSON.stringify(fake.transport.stats().closed)}`)
      const entries = Array.from({ length: entryCount }, () => earlier[Math.floor(pick.float() * earlier.length)]!.node.id)
      await net.clock.run(node.bootstrap(entries).catch(() => undefined))
      await step(500)
    }
    return overlayNode
  }
  for (let i = 0; i < count; i++) await addNode()
  await step(10_000)
  /** Stops a node as a closing tab does: its peers get BYE (leaving). */
  const removeNode = async (node: OverlayNode): Promise<void> => {
    nodes.splice(nodes.indexOf(node), 1)
    node.manager.stop()
    await node.node.stop()
  }
  return { net, nodes, step, addNode, removeNode, mostLinks: () => mostLinks }
}

function bruteForce(ids: readonly Id[], target: Id): string[] {
  return [...ids].sort((a, b) => compareDistance(target, a, b)).slice(0, K).map((id) => toHex(id))
}

describe('the overlay with a connection budget', () => {
  // A budget B of at least about 2·log2(N) lets every node keep a connection in each non-empty
  // bucket, which is what relays need to make progress toward any target (README: "Budget").
  // Below it (24 nodes need 9), a relay may find no route now and then, and a lookup miss one of
  // the k closest; in this network at B = 6 none did (measured: 20 of 20 exact, as at B = 12).
  it.each([
    [24, 6],
    [40, 12],
  ])('%i nodes with B = %i: never more than B connections, no churn at rest, every get succeeds, 20 of 20 lookups exact', { timeout: 60_000 }, async (count, budget) => {
    const { net, nodes, step, mostLinks } = await buildOverlay(count, budget, { value: true })
    const created = (): number => nodes.reduce((sum, { fake }) => sum + fake.transport.stats().connectionsCreated, 0)
    const before = created()
    await step(60_000)
    // At rest, the wanted sets settle: almost no connection is created in a minute.
    expect((created() - before) / count).toBeLessThan(1)
    const random = seededRandom(99)
    const anyNode = (): KademliaNode => nodes[Math.floor(random.float() * nodes.length)]!.node
    for (let i = 0; i < 20; i++) await net.clock.run(anyNode().put(keyOf(`key ${i}`), Uint8Array.of(i)))
    let found = 0
    for (let i = 0; i < 20; i++) {
      const got = await net.clock.run(anyNode().get(keyOf(`key ${i}`)))
      if (got.value?.[0] === i) found++
    }
    expect(found).toBe(20)
    const ids = nodes.map(({ node }) => node.id)
    let exact = 0
    const lookups = 20
    for (let i = 0; i < lookups; i++) {
      const target = keyOf(`target ${i}`)
      const asker = anyNode()
      const result = await net.clock.run(asker.findNode(target))
      const expected = bruteForce(ids.filter((id) => id !== asker.id), target)
      if (JSON.stringify(result.closest.map((id) => toHex(id))) === JSON.stringify(expected)) exact++
      await step(100)
    }
    expect(exact).toBe(lookups)
    expect(mostLinks()).toBeLessThanOrEqual(budget)
    const stats = nodes.map(({ fake }) => fake.transport.stats())
    const sum = (pick: (s: (typeof stats)[number]) => number): number => stats.reduce((total, s) => total + pick(s), 0)
    expect(sum((s) => s.relaysForwarded)).toBeGreaterThan(0)
    expect(sum((s) => s.signalsViaOverlay)).toBeGreaterThan(0)
    // Nearly every relay arrives.
    expect(sum((s) => s.relaysReceived) / sum((s) => s.relaysSent)).toBeGreaterThan(0.97)
  })

  it('forms new connections through the overlay after the signaling server stops', { timeout: 60_000 }, async () => {
    const serverUp = { value: true }
    const { net, nodes, step, addNode } = await buildOverlay(24, 6, serverUp)
    await net.clock.run(nodes[3]!.node.put(keyOf('stored before'), Uint8Array.of(42)))
    // A latecomer joins through one node while the server is up: one channel, then relays.
    const latecomer = await addNode(false, 1)
    const first = latecomer.fake.transport.stats()
    expect(first.open).toBeGreaterThanOrEqual(1)
    serverUp.value = false
    latecomer.manager.start()
    await step(10_000)
    const after = latecomer.fake.transport.stats()
    expect(after.connectionsOpened).toBeGreaterThan(first.connectionsOpened)
    expect(after.signalsViaServer).toBe(first.signalsViaServer)
    expect(after.signalsViaOverlay).toBeGreaterThan(0)
    // Its routing table filled in, and it finds a value stored before it came.
    expect(latecomer.node.table.size).toBeGreaterThanOrEqual(K)
    const got = await net.clock.run(latecomer.node.get(keyOf('stored before')))
    expect(got.value).toEqual(Uint8Array.of(42))
  })

  // Measured: at most 88 per staying node in this hour (173 in two hours). Before the manager skipped
  // contacts that failed and backed off longer after each failure, dead contacts were dialed
  // again and again: 1,126 in two hours. It takes about 2 min of real time on a 2-core machine
  // (116 s alone at 8d019f8), more beside other test files.
  it('creates few connections per node over an hour of churn (a node every 30 s), far from Chrome\'s 500', { timeout: 300_000 }, async () => {
    const budget = 12
    const { net, nodes, step, addNode, removeNode, mostLinks } = await buildOverlay(30, budget, { value: true })
    const stayers = nodes.slice(0, 10)
    const random = seededRandom(7)
    const before = new Map(stayers.map((n) => [n, n.fake.transport.stats().connectionsCreated]))
    for (let i = 0; i < 120; i++) {
      const churnable = nodes.filter((n) => !stayers.includes(n))
      await removeNode(churnable[Math.floor(random.float() * churnable.length)]!)
      await addNode()
      await step(30_000)
    }
    const created = stayers.map((n) => n.fake.transport.stats().connectionsCreated - before.get(n)!)
    expect(Math.max(...created)).toBeLessThan(150)
    expect(mostLinks()).toBeLessThanOrEqual(budget)
    await net.clock.run(stayers[0]!.node.put(keyOf('after two hours'), Uint8Array.of(1)))
    expect((await net.clock.run(stayers[9]!.node.get(keyOf('after two hours')))).value).toEqual(Uint8Array.of(1))
  })

  it('fails a request to a node nobody can reach within milliseconds, not after its timeout', { timeout: 60_000 }, async () => {
    const { net, nodes, step } = await buildOverlay(12, 8, { value: true })
    await step(5000)
    const nowhere = identityFromSecretKey(seededRandom(424242).bytes(32)).id
    const started = net.clock.now()
    const answered = await net.clock.run(nodes[5]!.node.ping(nowhere))
    expect(answered).toBe(false)
    expect(net.clock.now() - started).toBeLessThan(200) // the request timeout is 1000 ms here
    const stats = nodes[5]!.fake.transport.stats()
    expect(stats.relaysRetried).toBeGreaterThanOrEqual(1)
    expect(Object.values(stats.undeliverable).reduce((a, b) => a + b, 0) + stats.dropped['relay-loop']).toBeGreaterThanOrEqual(2)
  })
})
