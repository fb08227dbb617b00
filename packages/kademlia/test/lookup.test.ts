import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { compareDistance, toHex } from '../src/keyspace/id.ts'
import type { LookupResult } from '../src/query/lookup.ts'
import { lookup } from '../src/query/lookup.ts'
import { N, type Net, network, options, recordOf, VALUE } from './lookup-network.ts'
import { codeOf, dhtErrorOf, listenedSignal } from './support.ts'

/** Runs `pending` on the network's clock; `elapsedMs` is the virtual time from now until it resolved. */
async function timed(net: Net, pending: Promise<LookupResult>): Promise<{ result: LookupResult; elapsedMs: number }> {
  const start = net.clock.now()
  let end = Number.NaN
  const result = await net.clock.run(
    pending.then((value) => {
      end = net.clock.now()
      return value
    }),
  )
  return { result, elapsedMs: end - start }
}

function checkTrace(net: Net, { result, elapsedMs }: { result: LookupResult; elapsedMs: number }): void {
  const { trace } = result
  const steps = trace.steps
  expect(trace.target).toEqual(net.target)
  expect(trace.messages).toBe(net.calls.length)
  expect(trace.nodesAsked).toBe(new Set(net.calls.map(toHex)).size)
  expect(trace.failures).toBe(steps.filter((s) => s.outcome === 'failed').length)
  expect(trace.rounds).toBe(Math.max(0, ...steps.map((s) => s.round)))
  // In virtual time: the lookup lasted from its start to its result, each step as long as its answer took.
  expect(trace.durationMs).toBe(elapsedMs)
  for (const step of steps) expect(step.settledAt - step.sentAt).toBe(net.delayOf(step.peer, step.sentAt))
}

describe('lookup in node mode', () => {
  it('returns the true k closest, never asks more than alpha at once, nor self, nor anyone twice but to widen after failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.uniqueArray(fc.nat({ max: N - 2 }), { maxLength: 6 }),
        fc.nat({ max: N - 2 }),
        async (seed, k, alpha, failing, selfRank) => {
          const net = network({ seed, k, failing, selfRank })
          const run = await timed(net, lookup(options(net, k, alpha)))
          const { result } = run
          expect(result.closest.map(toHex)).toEqual(net.expected)
          expect(result.findings).toEqual([])
          expect(net.maxInflight).toBeLessThanOrEqual(alpha)
          const asked = net.calls.map(toHex)
          const repeats = asked.length - new Set(asked).size
          expect(repeats).toBeLessThanOrEqual(result.trace.failures > 0 ? alpha : 0)
          expect(asked).not.toContain(toHex(net.self))
          checkTrace(net, run)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('needs several rounds to reach the target and records them in the trace', async () => {
    const net = network({ seed: 3, k: 4 })
    const result = await net.clock.run(lookup(options(net, 4, 3)))
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(result.trace.rounds).toBeGreaterThanOrEqual(4)
    expect(result.trace.failures).toBe(0)
    expect(result.trace.steps.filter((s) => s.round === 1)).toHaveLength(3)
    expect(net.maxInflight).toBe(3)
  })

  it('lasts as long as its answers took: one request at a time, each answered after 7 ms, is 7 ms a request', async () => {
    const net = network({ seed: 3, k: 4, delayMs: 7 })
    const run = await timed(net, lookup(options(net, 4, 1)))
    const { trace } = run.result
    expect(run.result.closest.map(toHex)).toEqual(net.expected)
    expect(trace.messages).toBeGreaterThan(4)
    expect(trace.durationMs).toBe(7 * trace.messages)
    checkTrace(net, run)
  })

  it('tolerates failing peers, counts them in the trace and leaves them out of the result', async () => {
    const failing = [0, 2, 5, N - 3, N - 2]
    const net = network({ seed: 9, k: 5, failing })
    const run = await timed(net, lookup(options(net, 5, 2)))
    const { result } = run
    expect(result.closest.map(toHex)).toEqual(net.expected)
    expect(result.closest.map(net.rankOf).some((r) => failing.includes(r))).toBe(false)
    expect(result.trace.failures).toBeGreaterThanOrEqual(3)
    checkTrace(net, run)
  })

  it('drops contacts named in answers that fail the ID puzzle, never asks them, and counts them in the trace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 5 }), async (seed, k, every) => {
        // Every `every`-th rank is weak, but the seeds (the last three ranks) are never checked.
        const weak = Array.from({ length: N - 3 }, (_, i) => i).filter((rank) => rank % every === 0)
        // Listed as failing too, so that a weak contact that was asked would show up as a failure.
        const net = network({ seed, k, failing: weak })
        const accept = (id: Id): boolean => !weak.includes(net.rankOf(id))
        const result = await net.clock.run(lookup(options(net, k, 3, { accept })))
        expect(result.closest.map(toHex)).toEqual(net.expected)
        expect(result.trace.failures).toBe(0)
        expect(net.calls.some((id) => weak.includes(net.rankOf(id)))).toBe(false)
        expect(result.trace.weakIds).toBeGreaterThan(0)
      }),
      { numRuns: 50 },
    )
  })

  it('ends early with the nodes that answered once `enough` holds, and sends nothing after', async () => {
    const whole = network({ seed: 3, k: 4 })
    await whole.clock.run(lookup(options(whole, 4, 1)))
    const net = network({ seed: 3, k: 4 })
    const result = await net.clock.run(lookup(options(net, 4, 1, { enough: () => net.calls.length >= 2 })))
    expect(whole.calls.length).toBeGreaterThan(2)
    expect(net.calls).toHaveLength(2)
    expect(result.trace.messages).toBe(2)
    expect(result.closest).toHaveLength(2)
    await net.clock.advance(10_000)
    expect(net.calls).toHaveLength(2)
  })

  it('resolves with no contacts when every peer fails', async () => {
    const net = network({ seed: 5, k: 3, failing: Array.from({ length: N }, (_, i) => i) })
    const result = await net.clock.run(lookup(options(net, 3, 3)))
    expect(result.closest).toEqual([])
    expect(result.trace.failures).toBe(3)
    expect(result.trace.messages).toBe(3)
  })

  it('resolves at once with no contacts when it has no seeds or only itself as a seed', async () => {
    const net = network({ seed: 1, k: 3 })
    for (const seeds of [[], [net.self]]) {
      const result = await net.clock.run(lookup(options(net, 3, 3, { seeds })))
      expect(result.closest).toEqual([])
      expect(result.trace.messages).toBe(0)
    }
    expect(net.calls).toEqual([])
  })
})

describe('lookup in value mode', () => {
  it('asks on until `quorum` holders answered, returns each holder’s answer, and sends nothing after', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.uniqueArray(fc.nat({ max: 30 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (seed, k, alpha, nearHolder, farHolders, quorum) => {
          // Some holder is among the k closest, as after a put; others may be anywhere.
          const holderRanks = [nearHolder % k, ...farHolders]
          const net = network({ seed, k, holders: holderRanks, selfRank: N - 1 })
          const run = await timed(net, lookup(options(net, k, alpha, { seeds: net.ids.slice(N - 4, N - 1), quorum })))
          const { result } = run
          const callsAtResult = net.calls.length
          await net.clock.advance(1000)
          expect(net.calls.length).toBe(callsAtResult)

          expect(result.findings.length).toBeGreaterThan(0)
          const valueSteps = result.trace.steps.filter((s) => s.outcome === 'value')
          expect(valueSteps.map((s) => toHex(s.peer))).toEqual(result.findings.map((f) => toHex(f.from)))
          for (const [i, finding] of result.findings.entries()) {
            expect(holderRanks).toContain(net.rankOf(finding.from))
            expect(finding.records.map((r) => r.record)).toEqual([recordOf(VALUE)])
            // The TTL as it stands when the lookup ends: 777 less the time since that answer came.
            expect(finding.records[0]!.ttlMs).toBe(Math.max(0, 777 - (run.elapsedMs - valueSteps[i]!.settledAt)))
          }
          // Fewer than the quorum only when every path converged: all holders it could reach answered.
          if (result.findings.length < quorum) expect(result.trace.pathsUnfinished).toBe(0)
          // Ended early: the closest holders met the quorum, and every node asked that is closer
          // to the target than the quorum-th closest holder answered (lookup.ts, #quorumReached).
          if (result.trace.pathsUnfinished > 0) {
            const holders = result.findings.map((f) => f.from).sort((a, b) => compareDistance(net.target, a, b))
            const qth = holders[quorum - 1]!
            const settled = new Set(result.trace.steps.map((step) => toHex(step.peer)))
            for (const asked of net.calls.slice(0, callsAtResult)) {
              if (compareDistance(net.target, asked, qth) < 0) expect(settled.has(toHex(asked))).toBe(true)
            }
          }
          expect(result.trace.distinctValues).toBe(1)
          expect(net.maxInflight).toBeLessThanOrEqual(alpha)
          checkTrace(net, run)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('learns closer nodes from a VALUE answer too, so a far holder does not end the search', async () => {
    const net = network({ seed: 0, k: 2, holders: [0, N - 2], selfRank: N - 1 })
    const result = await net.clock.run(lookup(options(net, 2, 1, { seeds: [net.ids[N - 2]!], quorum: 2 })))
    expect(result.findings.map((f) => net.rankOf(f.from)).sort((a, b) => a - b)).toEqual([0, N - 2])
  })

  it('does not end at a holder far from the key while closer nodes it knows of are still to ask', async () => {
    const net = network({ seed: 2, k: 3, holders: [0, N - 1], selfRank: N - 2 })
    const result = await net.clock.run(lookup(options(net, 3, 1, { seeds: [net.ids[N - 1]!], quorum: 1 })))
    expect(result.findings.map((f) => net.rankOf(f.from))).toContain(0)
    expect(result.trace.messages).toBeGreaterThan(1)
  })
})

describe('lookup cancellation', () => {
  it('rejects with ERR_ABORTED without asking anyone when the signal is already aborted', async () => {
    const net = network({ seed: 4, k: 3 })
    const controller = new AbortController()
    controller.abort()
    expect(await codeOf(lookup(options(net, 3, 3, { signal: controller.signal })))).toBe(ErrorCode.ABORTED)
    expect(net.calls).toEqual([])
  })

  it('rejects with ERR_ABORTED and the abort reason when aborted midway, and asks no one afterwards', async () => {
    // Unaborted, this lookup takes 55 ms; the abort comes at 15 ms, with requests in flight.
    const net = network({ seed: 4, k: 3 })
    const controller = new AbortController()
    const reason = new Error('user left')
    let callsAtAbort = -1
    let settledAtAbort: boolean | undefined
    let settled = false
    const pending = lookup(options(net, 3, 2, { signal: controller.signal }))
    pending.then(
      () => (settled = true),
      () => (settled = true),
    )
    net.clock.setTimeout(() => {
      callsAtAbort = net.calls.length
      settledAtAbort = settled
      controller.abort(reason)
    }, 15)
    const error = await dhtErrorOf(net.clock.run(pending))
    expect(settledAtAbort).toBe(false)
    expect(error.code).toBe(ErrorCode.ABORTED)
    expect(error.cause).toBe(reason)
    expect(net.clock.now()).toBe(15)
    expect(callsAtAbort).toBeGreaterThan(0)
    await net.clock.advance(1000)
    expect(net.calls.length).toBe(callsAtAbort)
  })

  it('lets go of the signal when it finishes, so a later abort reaches nothing', async () => {
    const net = network({ seed: 6, k: 3 })
    const abort = listenedSignal()
    const pending = lookup(options(net, 3, 3, { signal: abort.signal }))
    expect(abort.listeners).toBe(1)
    const result = await net.clock.run(pending)
    expect(abort.listeners).toBe(0)
    abort.abort()
    expect(result.closest.map(toHex)).toEqual(net.expected)
  })
})
