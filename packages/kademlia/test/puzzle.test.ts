import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha1 } from '@noble/hashes/legacy.js'
import { ID_BYTES } from '../src/keyspace/id.ts'
import { meetsIdPuzzle, PuzzleChecks, puzzleBitsOf } from '../src/keyspace/puzzle.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'

const anyId = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES })

/** Leading zero bits of `bytes`, the slow way: through a binary string. */
function leadingZeros(bytes: Uint8Array): number {
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('')
  const one = bits.indexOf('1')
  return one === -1 ? bits.length : one
}

describe('the ID puzzle', () => {
  it('counts the leading zero bits of the SHA-1 of the ID', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        expect(puzzleBitsOf(id)).toBe(leadingZeros(sha1(id)))
      }),
      { numRuns: 300 },
    )
  })

  it('accepts an ID exactly when its hash has at least the asked bits, and every ID at difficulty 0', () => {
    fc.assert(
      fc.property(anyId, fc.integer({ min: 0, max: 24 }), (id, bits) => {
        expect(meetsIdPuzzle(id, bits)).toBe(leadingZeros(sha1(id)) >= bits)
        expect(meetsIdPuzzle(id, 0)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('is met by about one random ID in 2^bits', () => {
    const random = seededRandom(5)
    let met = 0
    const tries = 40_000
    for (let i = 0; i < tries; i++) if (meetsIdPuzzle(random.bytes(ID_BYTES), 6)) met++
    // Expected 625 (1 in 64); a binomial this far off happens with probability below 1e-6.
    expect(met).toBeGreaterThan(500)
    expect(met).toBeLessThan(760)
  })
})

describe('PuzzleChecks', () => {
  it('answers as meetsIdPuzzle does, whether the ID was remembered or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(anyId, { maxLength: 30 }), (bits, ids) => {
        const checks = new PuzzleChecks(bits, 8)
        for (const id of [...ids, ...ids]) expect(checks.solves(id)).toBe(meetsIdPuzzle(id, bits))
      }),
    )
  })

  it('hashes an ID once while it is remembered, and again once the oldest are forgotten', () => {
    const random = seededRandom(3)
    const ids = Array.from({ length: 5 }, () => random.bytes(ID_BYTES))
    const checks = new PuzzleChecks(4, 4)
    for (const id of ids.slice(0, 4)) checks.solves(id)
    for (const id of ids.slice(0, 4)) checks.solves(id)
    expect(checks.hashed).toBe(4)
    // A fifth ID pushes out the first, which then costs a SHA-1 again.
    checks.solves(ids[4]!)
    checks.solves(ids[0]!)
    expect(checks.hashed).toBe(6)
    expect(new PuzzleChecks(0).solves(ids[0]!)).toBe(true)
  })
})
