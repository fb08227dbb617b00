import { describe, expect, it } from 'vitest'
import { runChurnSetting } from '../src/bench/churn.ts'

/** bench:sim-churn's scenario on a small network: its figures add up, and churn replication is what keeps records on their true k closest. */
describe('the bench:sim-churn scenario', () => {
  const options = { nodes: 40, records: 20, fails: 4, intervalMs: 5_000, settleMs: 30_000, joins: true, k: 5, seed: 3, concurrency: 20, log: () => undefined }

  it('counts requests by type, lost copies and durability; churn replication restores the lost copies and turned off does not', async () => {
    // k = 5 is below the default churnHandOnMinK: the hand-on is asked for.
    const on = await runChurnSetting(options, { name: 'on', tunables: { churnHandOnMinK: options.k } }, options.seed)
    const off = await runChurnSetting(options, { name: 'off', tunables: { churnReplicateDelayMs: 0 } }, options.seed)
    for (const figures of [on, off]) {
      // A few puts may time out (real-time crypto on a virtual clock: bench/churn.ts).
      expect(figures.failedPuts).toBeLessThan(options.records / 2)
      expect(figures.lostCopies).toBeGreaterThan(0)
      expect(figures.findNodes + figures.stores + figures.otherRequests).toBe(figures.requests)
      expect(figures.joinRequests).toBeGreaterThan(0)
      expect(figures.valuesLost).toBe(0)
    }
    expect(on.churnReplications).toBeGreaterThan(0)
    // Most records are handed on with one STORE to the node that entered their k closest, not by
    // a lookup that stores on all k.
    expect(on.churnLookups).toBeLessThan(on.churnReplications / 2)
    expect(on.requestsPerReplication).toBeLessThan(options.k)
    expect(on.onTrueClosest).toBeGreaterThan(0.5)
    // Off: only hand-offs to the newcomers and liveness send anything.
    expect(off.churnReplications).toBe(0)
    expect(off.findNodes).toBe(0)
    expect(off.requests).toBeLessThan(on.requests)
  }, 60_000)
})
