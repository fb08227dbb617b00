import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../src/keyspace/id.ts'
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

  it('goes on past values until the quorum of holders answered, and counts the distinct answers they gave', async () => {
    const A = Uint8Array.of(0xa)
    const B = Uint8Array.of(0xb)
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.uniqueArray(fc.nat({ max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        async (seed, d, k, holders, quorum) => {
          const net = network({ seed, k, holders, valueAt: (rank) => (rank % 2 === 0 ? A : B), selfRank: N - SEEDS - 1 })
          const result = await net.clock.run(lookup(options(net, k, 3, { seeds: net.ids.slice(N - SEEDS), paths: d, quorum })))
          const { steps, paths, pathsWithoutValue, pathsUnfinished, distinctValues } = result.trace
          const values = steps.filter((step) => step.outcome === 'value')
          expect(result.findings.map((f) => toHex(f.from))).toEqual(values.map((step) => toHex(step.peer)))
          for (const finding of result.findings) expect(finding.path).toBe(values.find((step) => step.peer === finding.from)!.path)
          const valueOf = (rank: number): Uint8Array => (rank % 2 === 0 ? A : B)
          const seen = new Set(result.findings.map((f) => valueOf(net.rankOf(f.from))[0]))
          expect(distinctValues).toBe(seen.size)
          // Cut short only with the quorum met (by the holders closest to the target: lookup.ts).
          if (pathsUnfinished > 0) expect(result.findings.length).toBeGreaterThanOrEqual(quorum)
          const withValue = new Set(values.map((step) => step.path))
          // Paths that converged without a value: every path without one, but those cut short.
          expect(pathsWithoutValue).toBeLessThanOrEqual(paths - withValue.size)
          expect(pathsWithoutValue + pathsUnfinished).toBeGreaterThanOrEqual(paths - withValue.size)
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
    expect(one.findings).toEqual([])
    expect(one.closest.every(single.isFake)).toBe(true)

    const net = network(setup)
    const three = await net.clock.run(lookup(options(net, k, 1, { paths: 3 })))
    expect(three.findings.length).toBeGreaterThan(0)
    expect(three.trace.distinctValues).toBe(1)
  })

  it('ends as soon as the quorum answered: a slow path is not waited for, unless the quorum needs it', async () => {
    const k = 4
    const slowThird = (net: ReturnType<typeof network>, seeds: Uint8Array[]): typeof net.ask => {
      const slow = seeds[2]!
      return (peer, count) => (peer === slow ? new Promise((resolve) => net.clock.setTimeout(() => resolve(net.ask(peer, count)), 10_000)) : net.ask(peer, count))
    }
    const net = network({ seed: 11, k, holders: [0, 1, 2, 3, 4, 5, 6, 7], selfRank: N - 10 })
    const seeds = net.ids.slice(N - 3)
    const started = net.clock.now()
    const result = await net.clock.run(lookup({ ...options(net, k, 3, { seeds, paths: 3, quorum: 2 }), ask: slowThird(net, seeds) }))
    expect(result.findings.length).toBeGreaterThanOrEqual(2)
    expect(net.clock.now() - started).toBeLessThan(10_000)
    expect(result.trace.pathsUnfinished).toBeGreaterThanOrEqual(1)
    // A quorum larger than the holders the fast paths can reach waits for the slow one.
    const all = network({ seed: 11, k, holders: [0, 1, 2, 3, 4, 5, 6, 7], selfRank: N - 10 })
    const allSeeds = all.ids.slice(N - 3)
    const allStarted = all.clock.now()
    const waited = await all.clock.run(lookup({ ...options(all, k, 3, { seeds: allSeeds, paths: 3, quorum: 100 }), ask: slowThird(all, allSeeds) }))
    expect(all.clock.now() - allStarted).toBeGreaterThanOrEqual(10_000)
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
