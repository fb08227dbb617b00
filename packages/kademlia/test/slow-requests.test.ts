import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Id, toHex } from '../src/keyspace/id.ts'
import type { Clock, TimerHandle } from '../src/platform/platform.ts'
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

  it('a node lookup still returns the true k closest: it waits for a slow node that answers late, and asks others meanwhile', async () => {
    const net = network({ seed: 7, k: 8, delayMs: 5, delayAt: (r) => (r === 0 ? 600 : undefined) })
    const { result, elapsedMs } = await timed(net, lookup(options(net, 8, 1, { slowAfterMs: () => SLOW_MS })))
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(result.closest.map(toHex)).toContain(toHex(net.ids[0]!))
    expect(result.trace.slowRequests).toBe(1)
    expect(elapsedMs).toBeGreaterThanOrEqual(600)
    // One slot (alpha 1), and one slow request beside it.
    expect(net.maxInflight).toBe(2)
  })

  it('whatever is slow or fails, over 1 to 4 paths: the true k closest, at most 2⌈alpha / d⌉ in flight per path, and no timer left behind', async () => {
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
          expect(result.closest.map(toHex)).toEqual(net.expected)
          // Paths run: at most the seeds (3 here). Each keeps ⌈alpha / d⌉ slots and gives back as many.
          const d = Math.min(paths, 3)
          expect(net.maxInflight).toBeLessThanOrEqual(d * 2 * Math.ceil(alpha / d))
          expect(result.trace.slowRequests).toBeLessThanOrEqual(result.trace.nodesAsked)
          expect(clock.open).toBe(0)
        },
      ),
      { numRuns: 150 },
    )
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
