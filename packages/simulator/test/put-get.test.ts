import { idEquals, keyOf, toHex } from '@browser-dht/kademlia'
import type { Id, LookupTrace } from '@browser-dht/kademlia'
import { beforeAll, describe, expect, it } from 'vitest'
import { trueClosest } from '../src/brute-force.ts'
import type { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, buildNetwork, bytesOf, hexes, holdersOf, K, liveIds, MAX_ONE_WAY_MS, shuffled } from './support.ts'

let net: Testnet

beforeAll(async () => {
  net = await buildNetwork(101)
}, BUILD_TIMEOUT_MS)

/** Checks what every lookup trace must satisfy, whatever it looked for. */
function expectConsistentTrace(trace: LookupTrace, target: Id): void {
  expect(toHex(trace.target)).toBe(toHex(target))
  expect(trace.rounds).toBeGreaterThanOrEqual(1)
  expect(trace.rounds).toBe(Math.max(...trace.steps.map((step) => step.round)))
  expect(trace.nodesAsked).toBe(trace.messages)
  expect(trace.messages).toBeGreaterThanOrEqual(trace.steps.length)
  expect(trace.failures).toBe(trace.steps.filter((step) => step.outcome === 'failed').length)
  expect(new Set(hexes(trace.steps.map((step) => step.peer))).size).toBe(trace.steps.length)
  for (const step of trace.steps) {
    expect(step.round).toBeGreaterThanOrEqual(1)
    expect(step.settledAt).toBeGreaterThanOrEqual(step.sentAt)
  }
  // Each round waits for an answer from the round before: at least one 2 × 10 ms round trip each.
  expect(trace.durationMs).toBeGreaterThanOrEqual(trace.rounds * 20)
}

describe('put and get on a 200-node network', () => {
  it('a value put by one node is found by get from forty other nodes', async () => {
    const key = keyOf('put-get/greeting')
    const value = bytesOf('hello from one tab to many')
    const publisher = net.pick()
    await net.run(publisher.put(key, value))

    // Chosen one by one: each get caches the value at one more node, which would answer locally.
    let networkGets = 0
    for (const getter of shuffled(net, net.live())) {
      if (networkGets === 40) break
      // The publisher answers with its own value; a holder answers locally.
      if (getter === publisher || getter.records.meta(key) !== undefined) continue
      const result = await net.run(getter.get(key))
      expect(result.value).toEqual(value)
      expect(result.from).toBeDefined()
      expect(idEquals(result.from!, getter.id)).toBe(false)
      // The get asks until `getQuorum` holders answered (this node counts if it holds a copy);
      // they all agree, none was stale or forged, so nothing needed repair beyond empty nodes.
      const { distinctValues, invalidRecords, staleAnswers } = result.trace
      const holderAnswers = result.trace.steps.filter((step) => step.outcome === 'value').length
      expect(holderAnswers).toBeGreaterThanOrEqual(getter.options.getQuorum)
      expect(distinctValues).toBe(1)
      expect(invalidRecords).toBe(0)
      expect(staleAnswers).toBe(0)
      expect(result.values).toEqual([expect.objectContaining({ value, own: false, publisher: expect.anything() })])
      networkGets++
    }
    expect(networkGets).toBe(40)
  })

  it('put stores the value on exactly the k closest live nodes', async () => {
    for (let i = 0; i < 5; i++) {
      const key = keyOf(`put-get/exact/${i}`)
      const publisher = net.pick()
      const published: string[] = []
      const unsubscribe = net.live().map((node) =>
        node.on('record:stored', (event) => {
          if (idEquals(event.key, key) && event.mode === 'publish') published.push(toHex(node.id))
        }),
      )
      const { holders } = await net.run(publisher.put(key, bytesOf(`value ${i}`)))
      for (const off of unsubscribe) off()

      const truth = hexes(trueClosest(liveIds(net), key, K))
      expect(hexes(holders)).toEqual(truth)
      expect(hexes(holdersOf(net, key).map((node) => node.id)).sort()).toEqual([...truth].sort())
      // The publisher stores its own copy without a STORE message; everyone else got one.
      const remote = truth.filter((hex) => hex !== toHex(publisher.id))
      expect(published.sort()).toEqual(remote.sort())
    }
  })

  it('findNode returns the true k closest live nodes, closest first', async () => {
    const targets: Id[] = [keyOf('put-get/target'), net.pick().id]
    for (let i = 0; i < 8; i++) targets.push(net.random.bytes(20))
    for (const target of targets) {
      const asker = net.pick()
      const { closest, trace } = await net.run(asker.findNode(target))
      const truth = trueClosest(liveIds(net, asker), target, K)
      expect(hexes(closest)).toEqual(hexes(truth))
      expect(trace.failures).toBe(0)
    }
  })

  it('get of a key nobody stored returns undefined after asking the k closest nodes', async () => {
    const key = keyOf('put-get/never stored')
    const asker = net.pick()
    const result = await net.run(asker.get(key))
    expect(result.value).toBeUndefined()
    expect(result.from).toBeUndefined()
    const asked = new Set(hexes(result.trace.steps.map((step) => step.peer)))
    for (const hex of hexes(trueClosest(liveIds(net, asker), key, K))) expect(asked).toContain(hex)
    expect(result.trace.steps.every((step) => step.outcome === 'answered')).toBe(true)
  })

  it('a get stores the value back on a holder that lost it (read repair), with its remaining TTL, and nowhere else', async () => {
    const key = keyOf('put-get/cached')
    const value = bytesOf('cache me')
    const { holders } = await net.run(net.pick().put(key, value))
    const originalExpiry = Math.max(...holdersOf(net, key).map((node) => node.records.meta(key)!.expiresAt))
    // One holder loses its copy (its records expire as if it had been away for two days).
    const lost = net.node(holders[holders.length - 1]!)!
    await lost.records.expire(net.clock.now() + 2 * 24 * 3_600_000)
    expect(lost.records.meta(key)).toBeUndefined()

    const cached: { at: string; from: string }[] = []
    const unsubscribe = net.live().map((node) =>
      node.on('record:stored', (event) => {
        if (idEquals(event.key, key) && event.mode === 'cache') cached.push({ at: toHex(node.id), from: toHex(event.from) })
      }),
    )
    const getter = shuffled(net, net.live().filter((node) => node.records.meta(key) === undefined && node !== lost))[0]!
    const { value: found, trace } = await net.run(getter.get(key, { quorum: K }))
    expect(found).toEqual(value)
    await net.advance(1_000)
    for (const off of unsubscribe) off()

    // The holder that lost it got it back from the getter; the getter scattered no copy elsewhere.
    expect(trace.repaired).toBeGreaterThanOrEqual(1)
    expect(cached.map((c) => c.at)).toContain(toHex(lost.id))
    const holding = new Set(holders.map(toHex))
    for (const { at, from } of cached) {
      expect(from).toBe(toHex(getter.id))
      expect(holding).toContain(at)
    }
    const meta = lost.records.meta(key)!
    expect(meta.expiresAt).toBeGreaterThan(net.clock.now())
    // A repaired copy keeps the remaining TTL: TTLs are relative on the wire, so it may outlive the
    // published record by the transit time of the VALUE answer and the STORE, never by more.
    expect(meta.expiresAt).toBeLessThanOrEqual(originalExpiry + 2 * MAX_ONE_WAY_MS)
  })

  it('lookup traces on a healthy network have few rounds and a bounded number of messages', async () => {
    const key = keyOf('put-get/trace')
    await net.run(net.pick().put(key, bytesOf('traced')))
    const rounds: number[] = []
    for (let i = 0; i < 10; i++) {
      const target = net.random.bytes(20)
      const { trace } = await net.run(net.pick().findNode(target))
      expectConsistentTrace(trace, target)
      expect(trace.failures).toBe(0)
      expect(trace.steps.every((step) => step.outcome === 'answered')).toBe(true)
      // Done only when the k closest have answered, so at least k were asked.
      expect(trace.messages).toBeGreaterThanOrEqual(K)
      expect(trace.messages).toBeLessThanOrEqual(2 * K)
      rounds.push(trace.rounds)
    }
    // Every table already holds ~85 of the 200 nodes: a lookup needing more rounds is not converging.
    expect(Math.max(...rounds)).toBeLessThanOrEqual(4)

    const getter = net.live().find((node) => node.records.meta(key) === undefined)!
    const { from, trace } = await net.run(getter.get(key))
    expectConsistentTrace(trace, key)
    const valueSteps = trace.steps.filter((step) => step.outcome === 'value')
    expect(hexes(valueSteps.map((step) => step.peer))).toContain(toHex(from!))
    expect(valueSteps.length).toBeGreaterThanOrEqual(getter.options.getQuorum)
    expect(trace.messages).toBeLessThanOrEqual(2 * K)
  })
})
