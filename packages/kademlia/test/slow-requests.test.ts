import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../src/keyspace/id.ts'
import type { Clock, TimerHandle } from '../src/platform/platform.ts'
import { lookup, type LookupResult } from '../src/query/lookup.ts'
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

  it('whatever is slow or fails: the true k closest, at most alpha + ⌈alpha / d⌉ in flight per path, and no timer left behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.uniqueArray(fc.nat({ max: N - 2 }), { maxLength: 4 }),
        fc.uniqueArray(fc.nat({ max: 30 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 100 }),
        async (seed, k, alpha, failing, late, slowAfter) => {
          const net = network({ seed, k, failing, delayAt: (r) => (late.includes(r) ? 300 : undefined) })
          const clock = counted(net.clock)
          const result = await net.clock.run(lookup(options(net, k, alpha, { clock, slowAfterMs: () => slowAfter })))
          expect(result.closest.map(toHex)).toEqual(net.expected)
          expect(net.maxInflight).toBeLessThanOrEqual(2 * alpha)
          expect(clock.open).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('an ended get leaves no slow timer behind, whether it ended at its quorum or by an abort', async () => {
    const net = network({ seed: 9, k: 8, holders: [0, 1, 2], delayMs: 30 })
    const clock = counted(net.clock)
    const result = await net.clock.run(lookup(options(net, 8, 3, { quorum: 2, clock, slowAfterMs: () => 10 })))
    expect(result.findings.length).toBeGreaterThanOrEqual(2)
    expect(result.trace.slowRequests).toBeGreaterThan(0)
    expect(clock.open).toBe(0)

    const aborted = network({ seed: 9, k: 8, holders: [0, 1, 2], delayMs: 30 })
    const abortClock = counted(aborted.clock)
    const controller = new AbortController()
    aborted.clock.setTimeout(() => controller.abort(), 5) // before any request turned slow
    await expect(aborted.clock.run(lookup(options(aborted, 8, 3, { clock: abortClock, slowAfterMs: () => 10, signal: controller.signal })))).rejects.toThrow(/aborted/)
    expect(abortClock.open).toBe(0)
  })
})
