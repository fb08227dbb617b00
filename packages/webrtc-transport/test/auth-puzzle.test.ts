import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { puzzleSeconds } from '../bench/auth-measure.ts'

describe("bench:auth's ID puzzle times (geometric number of tries)", () => {
  it('has a mean of 2^c tries', () => {
    expect(puzzleSeconds(13, 8192)).toBe(1)
    expect(puzzleSeconds(0, 4)).toBe(0.25)
  })

  it('gives the least number of tries whose success probability reaches the quantile', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.double({ min: 0.01, max: 0.999, noNaN: true }), (bits, q) => {
        const tries = puzzleSeconds(bits, 1, q)
        const p = 2 ** -bits
        const cdf = (k: number): number => 1 - (1 - p) ** k
        expect(Number.isInteger(tries)).toBe(true)
        expect(cdf(tries)).toBeGreaterThanOrEqual(q - 1e-12)
        expect(cdf(tries - 1)).toBeLessThan(q + 1e-12)
      }),
      { numRuns: 300 },
    )
  })

  it('puts the 95th percentile within 0.1% of ln(20) times the mean, for the difficulties the bench prints', () => {
    for (let bits = 11; bits <= 16; bits++) {
      const ratio = puzzleSeconds(bits, 1000, 0.95) / puzzleSeconds(bits, 1000)
      expect(Math.abs(ratio / Math.log(20) - 1)).toBeLessThan(1e-3)
    }
    expect(puzzleSeconds(0, 1, 0.95)).toBe(1)
  })
})
