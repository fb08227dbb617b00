import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Id, idEquals, toHex } from '../src/keyspace/id.ts'
import type { Clock, TimerHandle } from '../src/platform/platform.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { lookup, type LookupResult } from '../src/query/lookup.ts'
import { seqOf } from '../src/records/signed-record.ts'
import type { Response } from '../src/wire/messages.ts'
import { N, type Net, network, options } from './lookup-network.ts'

const SLOW_MS = 50
const TIMEOUT_MS = 2000

/** The network's clock, counting the timers the lookup set and has not cleared or seen fire. */
function counted(clock: Clock): Clock & { readonly open: number } {
  const open = new Set<TimerHandle>()
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => {
      const handle: TimerHandle = clock.setTimeout(() => {
        open.delete(handle)
        callback()
      }, ms)
      open.add(handle)
      return handle
    },
    clearTimeout: (handle) => {
      open.delete(handle)
      clock.clearTimeout(handle)
    },
    get open() {
      return open.size
    },
  }
}

/** Runs `pending` on the network's clock; `elapsedMs` is the virtual time until it resolved. */
async function timed(net: Net, pending: Promise<LookupResult>): Promise<{ result: LookupResult; elapsedMs: number }> {
  const start = net.clock.now()
  let end = Number.NaN
  const result = await net.clock.run(pending.finally(() => (end = net.clock.now())))
  return { result, elapsedMs: end - start }
}

describe('slow requests (a lookup stops waiting on a request after a few round trips)', () => {
  it('a get whose closest holder takes its full timeout ends at the next holders, about a slow wait later', async () => {
    // Rank 0 (the closest node, a holder) fails only when its request times out.
    const shape = { seed: 7, k: 8, holders: [0, 1, 2, 3], failing: [0], delayMs: 5, delayAt: (r: number) => (r === 0 ? TIMEOUT_MS : undefined) }
    const slow = network(shape)
    const { result, elapsedMs } = await timed(slow, lookup(options(slow, 8, 3, { quorum: 2, slowAfterMs: () => SLOW_MS })))
    expect(result.findings.length).toBeGreaterThanOrEqual(2)
    expect(result.trace.slowRequests).toBe(1)
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS / 4)

    // Without slow waits, the quorum waits for rank 0's timeout.
    const waiting = network(shape)
    const waited = await timed(waiting, lookup(options(waiting, 8, 3, { quorum: 2 })))
    expect(waited.result.trace.slowRequests).toBe(0)
    expect(waited.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS)
  })

  it('a node lookup does not wait for a slow node among its k closest: it ends with the k closest that answered', async () => {
    // Rank 0 is alive but answers only after 600 ms; the others after 5.
    const shape = { seed: 7, k: 8, delayMs: 5, delayAt: (r: number) => (r === 0 ? 600 : undefined) }
    const net = network(shape)
    const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 1, { slowAfterMs: () => SLOW_MS })))
    // The true k closest but rank 0, and the next one (rank 8) instead.
    expect(result.closest.map(net.rankOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(result.trace.slowRequests).toBe(1)
    expect(elapsedMs).toBeLessThan(600)
    // One slot (alpha 1), and one slow request beside it.
    expect(net.maxInflight).toBe(2)

    // Without slow waits, it waits the 600 ms and returns the true k closest, rank 0 first.
    const waiting = network(shape)
    const waited = await timed(waiting, lookup(options(waiting, 8, 1)))
    expect(waited.result.closest.map(toHex)).toEqual(waiting.expected)
    expect(waited.elapsedMs).toBeGreaterThanOrEqual(600)
  })

  it('a lag that makes every request slow ends no lookup early: it waits, and returns the true k closest', async () => {
    // Every request takes 300 ms and turns slow after 50: the path never knows k others that answered in time.
    const net = network({ seed: 11, k: 8, delayMs: 300 })
    const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 3, { paths: 2, slowAfterMs: () => SLOW_MS })))
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(result.trace.slowRequests).toBeGreaterThan(0)
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * 300)
  })

  it('whatever is slow or fails, over 1 to 4 paths: the k closest that answered, exact but for slow ones; at most twice the d⌈alpha / d⌉ slots in flight; no timer left behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.uniqueArray(fc.nat({ max: N - 2 }), { maxLength: 4 }),
        fc.uniqueArray(fc.nat({ max: 30 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 100 }),
        async (seed, k, alpha, paths, failing, late, slowAfter) => {
          const net = network({ seed, k, failing, delayAt: (r) => (late.includes(r) ? 300 : undefined) })
          const clock = counted(net.clock)
          const result = await net.clock.run(lookup(options(net, k, alpha, { clock, paths, slowAfterMs: () => slowAfter })))
          const ranks = result.closest.map(net.rankOf)
          const selfRank = net.rankOf(net.self)
          // k nodes that answer, closest first; a closer one is missing only if it was asked and
          // turned slow (its answer took longer than slowAfter).
          expect(ranks).toHaveLength(k)
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b))
          for (const r of ranks) expect(failing.includes(r) || r === selfRank).toBe(false)
          for (let r = 0; r < ranks.at(-1)!; r++) {
            if (failing.includes(r) || r === selfRank || ranks.includes(r)) continue
            expect(net.slowestTo(net.ids[r]!)).toBeGreaterThan(slowAfter)
          }
          if (result.trace.slowRequests === 0) expect(result.closest.map(toHex)).toEqual(net.expected)
          // Paths run: at most the seeds (3 here), each with ⌈alpha / d⌉ slots; the lookup gives back as many in all.
          const d = Math.min(paths, 3)
          expect(net.maxInflight).toBeLessThanOrEqual(d * 2 * Math.ceil(alpha / d))
          expect(result.trace.slowRequests).toBeLessThanOrEqual(result.trace.nodesAsked)
          expect(clock.open).toBe(0)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('crashed nodes among the closest: the lookup goes on without them, with at most twice its slots in flight', async () => {
    // Ranks 0–2 crashed: their requests fail only after 2 s. Two paths of one slot each. (The
    // slots given back are shared by all paths: failure.test.ts in the simulator shows why.)
    for (let seed = 1; seed <= 20; seed++) {
      const net = network({ seed, k: 8, failing: [0, 1, 2], delayMs: 5, delayAt: (r) => (r <= 2 ? TIMEOUT_MS : undefined) })
      const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 2, { paths: 2, slowAfterMs: () => SLOW_MS })))
      expect(result.closest.map(toHex)).toEqual(net.expected)
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS / 4)
      // Two slots, and as many given back.
      expect(net.maxInflight).toBeLessThanOrEqual(4)
    }
  })

  it('a path whose seeds all crashed does not hold up a lookup that found k nodes on its other paths', async () => {
    // Path 0 gets the seeds of ranks N − 1 and N − 3, both crashed (they fail after 2 s); path 1 the live ones.
    const net = network({ seed: 3, k: 8, failing: [N - 1, N - 3], delayMs: 5, delayAt: (r) => (r === N - 1 || r === N - 3 ? TIMEOUT_MS : undefined) })
    const seeds = [N - 1, N - 2, N - 3, N - 4].map((r) => net.ids[r]!)
    const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 2, { paths: 2, seeds, slowAfterMs: () => SLOW_MS })))
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS / 4)
  })

  it('a lookup short of k nodes waits for a slow one rather than leave it out (a network smaller than k)', async () => {
    // Six nodes, each naming all six; one answers only after 300 ms. k = 8: every node counts.
    const clock = new VirtualClock()
    const random = seededRandom(4)
    const ids = Array.from({ length: 6 }, () => random.bytes(20))
    const [self, slow] = [random.bytes(20), ids[0]!]
    const ask = (peer: Id): Promise<Response> =>
      new Promise((resolve) => clock.setTimeout(() => resolve({ type: 'NODES', rid: 0, nodes: ids }), idEquals(peer, slow) ? 300 : 5))
    const pending = lookup({ target: random.bytes(20), self, seeds: ids.slice(3), k: 8, alpha: 3, maxCandidates: 64, clock, ask, slowAfterMs: () => SLOW_MS })
    const result = await clock.run(pending)
    expect(result.closest.map(toHex).sort()).toEqual(ids.map(toHex).sort())
    expect(result.trace.slowRequests).toBe(1)
  })

  it('a widening re-ask of a node that answered never turns slow: it stays answered for the quorum and the other paths', async () => {
    // Failures make the path re-ask its closest answered nodes for more contacts; those re-asks take 300 ms.
    const net = network({ seed: 5, k: 6, failing: [0, 1], delayMs: 5 })
    const asked = new Set<string>()
    const ask = (peer: Id, count: number): Promise<Response> => {
      const again = asked.has(toHex(peer))
      asked.add(toHex(peer))
      const answer = net.ask(peer, count)
      if (!again) return answer
      return answer.then((response) => new Promise((resolve) => net.clock.setTimeout(() => resolve(response), 300)))
    }
    const { result } = await timed(net, lookup(options(net, 6, 3, { ask, slowAfterMs: () => SLOW_MS })))
    expect(net.calls.length).toBeGreaterThan(asked.size) // it did re-ask
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(result.trace.slowRequests).toBe(0)
  })

  it('a slow holder that answers before the quorum is met counts like any other', async () => {
    // Rank 0 answers after 60 ms (slow after 50); ranks 1 and 2, the next holders, after 100.
    const net = network({ seed: 7, k: 8, holders: [0, 1, 2], delayMs: 5, delayAt: (r) => (r === 0 ? 60 : r <= 2 ? 100 : undefined) })
    const { result } = await timed(net, lookup(options(net, 8, 3, { quorum: 2, slowAfterMs: () => SLOW_MS })))
    expect(result.trace.slowRequests).toBeGreaterThanOrEqual(1)
    expect(result.findings.map((f) => toHex(f.from))).toContain(toHex(net.ids[0]!))
  })

  it('the trade-off, pinned: a live closest holder slower than its wait is not waited for, so a newer value only it holds is missed', async () => {
    // Rank 0 holds seq 9, ranks 1 and 2 still seq 4; rank 0 answers after 300 ms, the rest after 5.
    const net = network({ seed: 7, k: 8, holders: [0, 1, 2], delayMs: 5, delayAt: (r) => (r === 0 ? 300 : undefined), valueAt: (r) => Uint8Array.of(r === 0 ? 9 : 4) })
    const { result } = await timed(net, lookup(options(net, 8, 3, { quorum: 2, slowAfterMs: () => SLOW_MS })))
    expect(result.findings.map((f) => seqOf(f.records[0]!.record))).toEqual([4, 4])
    expect(result.trace.slowRequests).toBe(1) // counted: the caller can tell, and ask again with a larger quorum
    // Waiting in full (no slow wait) reads the newer value.
    const waiting = network({ seed: 7, k: 8, holders: [0, 1, 2], delayMs: 5, delayAt: (r) => (r === 0 ? 300 : undefined), valueAt: (r) => Uint8Array.of(r === 0 ? 9 : 4) })
    const waited = await timed(waiting, lookup(options(waiting, 8, 3, { quorum: 2 })))
    expect(waited.result.findings.map((f) => seqOf(f.records[0]!.record))).toContain(9)
  })

  it('a lag is waited out: a slow request is passed over only once one sent no earlier was answered in under half its wait', async () => {
    // The seeds (ranks 1–3, holders of seq 4) answer at once; then a lag holds up every answer,
    // 300 ms, and rank 0's (the closest holder's, with seq 9) 400 ms. Requests sent with rank 0's
    // answer first, but in more than half the time rank 0 takes: the get waits for it, reads seq 9.
    const shape = { seed: 7, k: 8, holders: [0, 1, 2], delayMs: 300, delayAt: (r: number) => (r >= 1 && r <= 3 ? 5 : r === 0 ? 400 : undefined), valueAt: (r: number) => Uint8Array.of(r === 0 ? 9 : 4) }
    const net = network(shape)
    const seeds = [1, 2, 3].map((r) => net.ids[r]!)
    const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 3, { quorum: 2, seeds, slowAfterMs: () => SLOW_MS })))
    expect(result.findings.map((f) => seqOf(f.records[0]!.record))).toContain(9)
    expect(result.trace.slowRequests).toBeGreaterThan(0)
    expect(elapsedMs).toBeGreaterThanOrEqual(400)
  })

  it('a slow request becomes overdue on time even when no answer comes to wake the lookup then', async () => {
    // k = 3: ranks 0–2 are asked at once; 1 and 2 (holders) answer after 40 ms, then 3 and 4
    // after 80; rank 0 crashed (it fails after 2 s). It turns slow at 50 ms, and is overdue once
    // it has waited twice 40 ms: no answer comes then, so the lookup wakes itself.
    const net = network({ seed: 7, k: 3, holders: [0, 1, 2], failing: [0], delayMs: 40, delayAt: (r) => (r === 0 ? TIMEOUT_MS : undefined) })
    const seeds = [0, 1, 2].map((r) => net.ids[r]!)
    const { result, elapsedMs } = await timed(net, lookup(options(net, 3, 3, { quorum: 2, seeds, slowAfterMs: () => SLOW_MS })))
    expect(result.findings).toHaveLength(2)
    expect(elapsedMs).toBeLessThan(200)
  })

  it('an ended get leaves no slow timer behind, whether it ended at its quorum or by an abort', async () => {
    const net = network({ seed: 9, k: 8, holders: [0, 1, 2], delayMs: 30 })
    const clock = counted(net.clock)
    const result = await net.clock.run(lookup(options(net, 8, 3, { quorum: 2, clock, slowAfterMs: () => 10 })))
    expect(result.findings.length).toBeGreaterThanOrEqual(2)
    expect(result.trace.slowRequests).toBeGreaterThan(0)
    expect(clock.open).toBe(0)

    // The seeds answer after 5 ms, everyone else after 30; a request turns slow after 10. Aborted
    // while the second round's requests wait (12 ms), and after they gave their slots back and the
    // third round was sent (20 ms): no slow timer is left either way.
    const calls: number[] = []
    for (const abortAt of [12, 20]) {
      const aborted = network({ seed: 9, k: 8, holders: [0, 1, 2], delayMs: 30, delayAt: (r) => (r >= N - 3 ? 5 : undefined) })
      const abortClock = counted(aborted.clock)
      const controller = new AbortController()
      aborted.clock.setTimeout(() => controller.abort(), abortAt)
      await expect(aborted.clock.run(lookup(options(aborted, 8, 3, { clock: abortClock, slowAfterMs: () => 10, signal: controller.signal })))).rejects.toThrow(/aborted/)
      expect(abortClock.open).toBe(0)
      calls.push(aborted.calls.length)
    }
    expect(calls[0]).toBe(6)
    expect(calls[1]).toBe(9)
  })
})
