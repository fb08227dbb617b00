import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, toHex } from '../src/keyspace/id.ts'
import { lookup } from '../src/query/lookup.ts'
import type { TraceStep } from '../src/query/trace.ts'
import { N, network, options } from './lookup-network.ts'

/** Lookups over d disjoint paths (S/Kademlia) and the bound on what one introducer contributes. */
const SEEDS = 12

/** The most requests one path had in flight at once, from the trace (intervals [sentAt, settledAt)). */
function maxInflightPerPath(steps: readonly TraceStep[]): number {
  let max = 0
  for (const path of new Set(steps.map((step) => step.path))) {
    const events = steps
      .filter((step) => step.path === path)
      .flatMap((step) => [
        { at: step.sentAt, delta: 1 },
        { at: step.settledAt, delta: -1 },
      ])
      .sort((a, b) => a.at - b.at || a.delta - b.delta)
    let inflight = 0
    for (const { delta } of events) max = Math.max(max, (inflight += delta))
  }
  return max
}

describe('a lookup over disjoint paths', () => {
  it('returns the true k closest, asks each node from one path only, and keeps at most ⌈α / d⌉ requests in flight per path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 16 }),
        fc.uniqueArray(fc.nat({ max: N - SEEDS - 1 }), { maxLength: 6 }),
        async (seed, k, alpha, d, failing) => {
          const net = network({ seed, k, failing, selfRank: N - SEEDS - 1 })
          const seeds = net.ids.slice(N - SEEDS)
          const result = await net.clock.run(lookup(options(net, k, alpha, { seeds, paths: d })))
          expect(result.closest.map(toHex)).toEqual(net.expected)
          const { steps, paths } = result.trace
          expect(paths).toBe(Math.min(d, SEEDS))
          const perPath = Math.ceil(alpha / paths)
          expect(maxInflightPerPath(steps)).toBeLessThanOrEqual(perPath)
          // Seeds are dealt round-robin, closest first.
          for (const step of steps.filter((s) => s.round === 1)) expect(seeds.indexOf(step.peer) % paths).toBe(step.path)
          // One path per node; the same path asks again only to widen after failures.
          const askedBy = new Map<string, Set<number>>()
          for (const step of steps) askedBy.set(toHex(step.peer), (askedBy.get(toHex(step.peer)) ?? new Set()).add(step.path))
          for (const pathsOfPeer of askedBy.values()) expect(pathsOfPeer.size).toBe(1)
          const repeats = net.calls.length - new Set(net.calls.map(toHex)).size
          expect(repeats).toBeLessThanOrEqual(result.trace.failures > 0 ? paths * perPath : 0)
          expect(result.trace.nodesAsked).toBe(new Set(net.calls.map(toHex)).size)
          expect(result.trace.pathsWithoutValue).toBe(paths)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('ends each path at its first value and returns the value most paths found, the first found on a tie', async () => {
    const A = Uint8Array.of(0xa)
    const B = Uint8Array.of(0xb)
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.uniqueArray(fc.nat({ max: 12 }), { minLength: 1, maxLength: 8 }),
        async (seed, d, k, holders) => {
          const net = network({ seed, k, holders, valueAt: (rank) => (rank % 2 === 0 ? A : B), selfRank: N - SEEDS - 1 })
          const result = await net.clock.run(lookup(options(net, k, 3, { seeds: net.ids.slice(N - SEEDS), paths: d })))
          const { steps, paths, pathsWithoutValue, pathsUnfinished, distinctValues } = result.trace
          const firstValues = new Map<number, TraceStep>()
          for (const step of steps) if (step.outcome === 'value' && !firstValues.has(step.path)) firstValues.set(step.path, step)
          expect(pathsWithoutValue + pathsUnfinished).toBe(paths - firstValues.size)
          // A path sends nothing after its first value has come back.
          for (const step of steps) expect(step.sentAt).toBeLessThanOrEqual(firstValues.get(step.path)?.settledAt ?? Infinity)
          const valueOf = (step: TraceStep): Uint8Array => (net.rankOf(step.peer) % 2 === 0 ? A : B)
          const found = [...firstValues.values()]
          const votes = (value: Uint8Array): number => found.filter((step) => compareBytes(valueOf(step), value) === 0).length
          expect(distinctValues).toBe([A, B].filter((value) => votes(value) > 0).length)
          if (found.length === 0) {
            expect(result.found).toBeUndefined()
            return
          }
          const winner = votes(A) === votes(B) ? valueOf(found[0]!) : votes(A) > votes(B) ? A : B
          expect(result.found?.value).toEqual(winner)
          expect(toHex(result.found!.from)).toBe(toHex(found.find((step) => compareBytes(valueOf(step), winner) === 0)!.peer))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('finds a value although one path is led into made-up nodes that never hold it, where a single path is not', async () => {
    const k = 4
    // The closest seed lies: it names k made-up IDs closer than any real node, which answer with nothing.
    const setup = { seed: 7, k, holders: [0, 1, 2, 3], liars: [N - 3], fakes: k, fakesAnswer: 'empty' as const, selfRank: N - 10 }
    const single = network(setup)
    const one = await single.clock.run(lookup(options(single, k, 1)))
    expect(one.found).toBeUndefined()
    expect(one.closest.every(single.isFake)).toBe(true)

    const net = network(setup)
    const three = await net.clock.run(lookup(options(net, k, 1, { paths: 3 })))
    expect(three.found?.value).toBeDefined()
    // The led path ends without a value, unless the two others decided the value first.
    expect(three.trace.pathsWithoutValue + three.trace.pathsUnfinished).toBe(1)
    expect(three.trace.distinctValues).toBe(1)
  })

  it('ends as soon as a value is decided: two of three paths agreeing are not kept waiting for the third', async () => {
    const k = 4
    const net = network({ seed: 11, k, holders: [0, 1, 2, 3, 4, 5, 6, 7], selfRank: N - 10 })
    const seeds = net.ids.slice(N - 3)
    // The third path's seed takes ten seconds to answer.
    const slow = seeds[2]!
    const ask: typeof net.ask = (peer, count) =>
      peer === slow ? new Promise((resolve) => net.clock.setTimeout(() => resolve(net.ask(peer, count)), 10_000)) : net.ask(peer, count)
    const started = net.clock.now()
    const result = await net.clock.run(lookup({ ...options(net, k, 3, { seeds, paths: 3 }), ask }))
    expect(result.found?.value).toEqual(Uint8Array.of(4, 2))
    expect(net.clock.now() - started).toBeLessThan(10_000)
    expect(result.trace.pathsUnfinished).toBe(1)
    expect(result.trace.distinctValues).toBe(1)
    // Not decided while the slow path could still tie: with two paths, both are waited for.
    const two = network({ seed: 11, k, holders: [0, 1, 2, 3, 4, 5, 6, 7], selfRank: N - 10 })
    const twoStarted = two.clock.now()
    const slowOfTwo = two.ids[N - 2]!
    const askTwo: typeof two.ask = (peer, count) =>
      peer === slowOfTwo ? new Promise((resolve) => two.clock.setTimeout(() => resolve(two.ask(peer, count)), 10_000)) : two.ask(peer, count)
    const waited = await two.clock.run(lookup({ ...options(two, k, 2, { seeds: two.ids.slice(N - 2), paths: 2 }), ask: askTwo }))
    expect(two.clock.now() - twoStarted).toBeGreaterThanOrEqual(10_000)
    expect(waited.trace.pathsUnfinished).toBe(0)
  })

  it('reports a path as led away when the nodes it was sent to never answer', async () => {
    const k = 4
    const net = network({ seed: 3, k, liars: [N - 3], fakes: k, fakesAnswer: 'never', selfRank: N - 10 })
    const result = await net.clock.run(lookup(options(net, k, 3, { paths: 3 })))
    expect(result.closest.map(toHex)).toEqual(net.expected)
    // Path 0 got the liar: its best answered node is the liar itself, far from the target.
    expect(result.trace.ledAway).toEqual([0])
  })
})

describe('the bound on what one introducer contributes', () => {
  it('an introducer answering with k made-up IDs closer than any real node cannot keep the lookup from the true closest nodes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 3 }), async (seed, k, alpha) => {
        const cap = Math.ceil(k / 2)
        const setup = { seed, k, liars: [N - 3], fakes: k, fakesAnswer: 'never' as const, selfRank: N - 10 }
        const bounded = network(setup)
        const result = await bounded.clock.run(lookup(options(bounded, k, alpha, { maxIntroducedPerPeer: cap })))
        expect(result.closest.map(toHex)).toEqual(bounded.expected)
        // The liar's further made-up IDs waited outside the window and were never needed.
        expect(new Set(bounded.calls.filter(bounded.isFake).map(toHex)).size).toBeLessThanOrEqual(cap)

        const unbounded = network(setup)
        await unbounded.clock.run(lookup(options(unbounded, k, alpha)))
        expect(new Set(unbounded.calls.filter(unbounded.isFake).map(toHex)).size).toBe(k)
      }),
      { numRuns: 60 },
    )
  })

  it('made-up nodes that do answer hold at most maxIntroducedPerPeer places, so the closest real nodes are still found', async () => {
    await fc.assert(
      // k ≥ 4 leaves the real part of the window (k − ⌈k/2⌉) more than the liar itself.
      fc.asyncProperty(fc.integer(), fc.integer({ min: 4, max: 8 }), async (seed, k) => {
        const cap = Math.ceil(k / 2)
        const setup = { seed, k, liars: [N - 3], fakes: k, fakesAnswer: 'empty' as const, selfRank: N - 10 }
        const bounded = network(setup)
        const { closest } = await bounded.clock.run(lookup(options(bounded, k, 2, { maxIntroducedPerPeer: cap })))
        expect(closest.filter(bounded.isFake).length).toBeLessThanOrEqual(cap)
        expect(closest.filter((id) => !bounded.isFake(id)).map(toHex)).toEqual(bounded.expected.slice(0, k - closest.filter(bounded.isFake).length))

        const unbounded = network(setup)
        const captured = await unbounded.clock.run(lookup(options(unbounded, k, 2)))
        expect(captured.closest.every(unbounded.isFake)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('does not hold back real nodes that a second peer also named', async () => {
    // Every real answer names overlapping ranges, so the true closest are named by several peers.
    const net = network({ seed: 11, k: 6, selfRank: N - 10 })
    const result = await net.clock.run(lookup(options(net, 6, 3, { maxIntroducedPerPeer: 1 })))
    expect(result.closest.map(toHex)).toEqual(net.expected)
  })
})
