import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyOf } from '../src/keyspace/id.ts'
import { NETWORK_MIN_CONTACTS, RoundTrips } from '../src/rpc/round-trips.ts'

const [A, B] = [keyOf('a'), keyOf('b')]

describe('RoundTrips (RFC 6298 per contact)', () => {
  it('waits the full timeout for a contact never heard from, while few contacts have answered', () => {
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

  it('stops a lookup waiting after srtt + 4 rttvar, at least the floor', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 500, minSlowRequestMs: 20, capacity: 4 })
    expect(trips.slowAfterMs(A)).toBe(Number.POSITIVE_INFINITY) // nothing heard yet: wait the full timeout
    trips.answered(A, 40) // srtt 40, rttvar 20
    expect(trips.slowAfterMs(A)).toBe(120)
    trips.answered(B, 1)
    expect(trips.slowAfterMs(B)).toBe(20) // 1 + 2 below the floor
  })

  it('a stranger waits as the network’s round trips say once 8 contacts answered, the full timeout before; one vote per contact', () => {
    const trips = new RoundTrips({ requestTimeoutMs: 2000, minRequestTimeoutMs: 500, minSlowRequestMs: 20, capacity: 16 })
    const stranger = keyOf('stranger')
    for (let i = 0; i < NETWORK_MIN_CONTACTS - 1; i++) trips.answered(keyOf(`c${i}`), 40)
    expect(trips.timeoutMs(stranger)).toBe(2000)
    expect(trips.slowAfterMs(stranger)).toBe(Number.POSITIVE_INFINITY)
    trips.answered(keyOf('c7'), 40) // the network's: srtt 40, rttvar 20 · 0.75⁷ ≈ 2.67
    expect(trips.timeoutMs(stranger)).toBe(540) // 40 + max(500, 10.7)
    expect(trips.slowAfterMs(stranger)).toBeCloseTo(50.68, 1)
    // A contact's later answers move its own estimate, not the network's.
    trips.answered(keyOf('c0'), 1900)
    expect(trips.timeoutMs(stranger)).toBe(540)
    expect(trips.timeoutMs(keyOf('c0'))).toBeGreaterThan(540)
    // A stranger's timeout does not back off (there is nothing of its own to double).
    trips.timedOut(stranger)
    expect(trips.timeoutMs(stranger)).toBe(540)
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
