import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffMs } from '../src/platform/backoff.ts'

describe('backoffMs', () => {
  it('doubles from base with each failure in a row, up to max, and draws the wait from 0.5–1.5 times that', () => {
    const pinned = { float: () => 0.5 }
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, { baseMs: 1000, maxMs: 10_000 }, pinned))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000])
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, draw) => {
        const undrawn = Math.min(60_000, 500 * 2 ** (attempt - 1))
        const wait = backoffMs(attempt, { baseMs: 500, maxMs: 60_000 }, { float: () => draw })
        expect(wait).toBeGreaterThanOrEqual(Math.floor(undrawn / 2))
        expect(wait).toBeLessThanOrEqual(Math.ceil(1.5 * undrawn))
      }),
    )
  })
})
