import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyOf } from '../src/keyspace/id.ts'
import { RoundTrips } from '../src/rpc/round-trips.ts'

const [A, B] = [keyOf('a'), keyOf('b')]

describe('RoundTrips (RFC 6298 per contact)', () => {
  it('waits the full timeout for a contact never heard from', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 100, minSlowRequestMs: 20, capacity: 4 })
    expect(trips.timeoutMs(A)).toBe(2000)
  })

  it('learns a fast contact: smoothed round trip plus the larger of the floor and 4 × its variation', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 100, minSlowRequestMs: 20, capacity: 4 })
    trips.answered(A, 40) // srtt 40, rttvar 20: 40 + max(100, 80)
    expect(trips.timeoutMs(A)).toBe(140)
    trips.answered(A, 40) // rttvar 15, srtt 40
    expect(trips.timeoutMs(A)).toBe(140)
    trips.answered(A, 360) // rttvar 0.75·15 + 0.25·320 = 91.25, srtt 40 + 40 = 80: 80 + 365
    expect(trips.timeoutMs(A)).toBe(445)
    expect(trips.timeoutMs(B)).toBe(2000)
  })

  it('doubles a contact’s wait after each timeout, up to the full timeout, and resets on its next answer', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 1000, minRequestTimeoutMs: 100, minSlowRequestMs: 20, capacity: 4 })
    trips.answered(A, 10)
    const waits = [trips.timeoutMs(A)]
    for (let i = 0; i < 5; i++) {
      trips.timedOut(A)
      waits.push(trips.timeoutMs(A))
    }
    expect(waits).toEqual([110, 220, 440, 880, 1000, 1000])
    trips.answered(A, 10)
    expect(trips.timeoutMs(A)).toBe(110)
  })

  it('remembers at most `capacity` contacts, the least recently answered forgotten first', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 100, minSlowRequestMs: 20, capacity: 2 })
    trips.answered(A, 10)
    trips.answered(B, 10)
    trips.answered(A, 10)
    trips.answered(keyOf('c'), 10)
    expect(trips.size).toBe(2)
    expect(trips.timeoutMs(B)).toBe(2000)
    expect(trips.timeoutMs(A)).toBe(110)
  })

  it('stops a lookup waiting after srtt + 4 rttvar (at least the floor); for a stranger, after the same over each contact’s first answer', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 500, minSlowRequestMs: 20, capacity: 4 })
    expect(trips.slowAfterMs(A)).toBe(Number.POSITIVE_INFINITY) // nothing heard yet: wait the full timeout
    trips.answered(A, 40) // A: srtt 40, rttvar 20; all answers: the same
    expect(trips.slowAfterMs(A)).toBe(120)
    expect(trips.slowAfterMs(B)).toBe(120)
    trips.answered(keyOf('c'), 200) // all answers: rttvar 0.75·20 + 0.25·160 = 55, srtt 35 + 25 = 60
    expect(trips.slowAfterMs(B)).toBe(280)
    expect(trips.slowAfterMs(A)).toBe(120) // A keeps its own
    trips.answered(A, 1900) // A's own estimate moves; the network's does not (one vote per contact)
    expect(trips.slowAfterMs(keyOf('d'))).toBe(280)
    trips.answered(B, 1)
    expect(trips.slowAfterMs(B)).toBe(20) // 1 + 2 below the floor
  })

  it('never stops waiting sooner than the floor or once the request itself would time out', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.double({ min: -10, max: 60_000, noNaN: true }), fc.constant('timeout' as const))), { maxLength: 40 }),
        (requestTimeoutMs, minRequestTimeoutMs, minSlowRequestMs, events) => {
          const trips = new RoundTrips({ requestTimeoutMs, minRequestTimeoutMs, minSlowRequestMs, capacity: 4 })
          for (const [onA, event] of events) {
            const peer = onA ? A : B
            if (event === 'timeout') trips.timedOut(peer)
            else trips.answered(peer, event)
            for (const asked of [A, B, keyOf('c')]) {
              const slow = trips.slowAfterMs(asked)
              expect(slow).toBeGreaterThanOrEqual(minSlowRequestMs)
              if (Number.isFinite(slow)) expect(slow).toBeLessThan(trips.timeoutMs(asked))
            }
          }
        },
      ),
    )
  })

  it('always waits between the floor and the full timeout, whatever the samples and timeouts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.oneof(fc.double({ min: -10, max: 60_000, noNaN: true }), fc.constant('timeout' as const)), { maxLength: 40 }),
        (requestTimeoutMs, minRequestTimeoutMs, events) => {
          const trips = new RoundTrips({ requestTimeoutMs, minRequestTimeoutMs, minSlowRequestMs: 20, capacity: 4 })
          for (const event of events) {
            if (event === 'timeout') trips.timedOut(A)
            else trips.answered(A, event)
            const wait = trips.timeoutMs(A)
            expect(wait).toBeLessThanOrEqual(requestTimeoutMs)
            expect(wait).toBeGreaterThanOrEqual(Math.min(minRequestTimeoutMs, requestTimeoutMs))
          }
        },
      ),
    )
  })
})
