import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode, isDhtError } from '../src/errors.ts'
import {
  assertId,
  commonPrefixLength,
  compareBytes,
  compareDistance,
  distance,
  distancePrefix,
  fromHex,
  ID_BITS,
  ID_BYTES,
  idEquals,
  idFromHex,
  idKey,
  keyOf,
  randomIdInBucket,
  shortHex,
  toHex,
} from '../src/keyspace/id.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'

const RUNS = { numRuns: 200 }
const anyId = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES })
const sign = (n: number): number => Math.sign(n)

/** Runs `fn` and returns the code of the DhtError it throws (fails the test if it does not throw one). */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isDhtError(error)) return error.code
    throw error
  }
  throw new Error('expected a DhtError')
}

describe('XOR distance', () => {
  it('is symmetric', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(distance(a, b)).toEqual(distance(b, a))
      }),
      RUNS,
    )
  })

  it('is zero from an id to itself and nonzero between distinct ids', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(distance(a, a)).toEqual(new Uint8Array(ID_BYTES))
        const zero = distance(a, b).every((byte) => byte === 0)
        expect(zero).toBe(idEquals(a, b))
      }),
      RUNS,
    )
  })

  it('gives distinct ids distinct distances to a fixed target', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (target, a, b) => {
        fc.pre(!idEquals(a, b))
        expect(idEquals(distance(target, a), distance(target, b))).toBe(false)
      }),
      RUNS,
    )
  })

  it('satisfies d(a, b) xor d(b, c) = d(a, c)', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (a, b, c) => {
        expect(distance(distance(a, b), distance(b, c))).toEqual(distance(a, c))
      }),
      RUNS,
    )
  })

  it('orders ids by compareDistance exactly as compareBytes orders their distances', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (target, a, b) => {
        const expected = sign(compareBytes(distance(target, a), distance(target, b)))
        expect(sign(compareDistance(target, a, b))).toBe(expected)
        expect(sign(compareDistance(target, b, a))).toBe(-expected)
      }),
      RUNS,
    )
  })

  it('makes compareDistance a total order: reflexive, antisymmetric and transitive', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, anyId, (target, a, b, c) => {
        expect(compareDistance(target, a, a)).toBe(0)
        if (compareDistance(target, a, b) === 0) expect(idEquals(a, b)).toBe(true)
        if (compareDistance(target, a, b) <= 0 && compareDistance(target, b, c) <= 0) {
          expect(compareDistance(target, a, c)).toBeLessThanOrEqual(0)
        }
      }),
      RUNS,
    )
  })

  it('sorts a list by compareDistance into the same order as sorting by distance bytes', () => {
    fc.assert(
      fc.property(anyId, fc.uniqueArray(anyId, { maxLength: 30, selector: toHex }), (target, ids) => {
        const byCompare = [...ids].sort((a, b) => compareDistance(target, a, b)).map(toHex)
        const byBytes = [...ids].sort((a, b) => compareBytes(distance(target, a), distance(target, b))).map(toHex)
        expect(byCompare).toEqual(byBytes)
      }),
      RUNS,
    )
  })
})

describe('distancePrefix', () => {
  it('equals the first 48 bits of the distance as an exact integer', () => {
    fc.assert(
      fc.property(anyId, anyId, (target, a) => {
        const expected = [...distance(target, a).subarray(0, 6)].reduce((n, byte) => n * 256 + byte, 0)
        expect(distancePrefix(target, a)).toBe(expected)
      }),
      RUNS,
    )
    const all = new Uint8Array(ID_BYTES).fill(0xff)
    expect(distancePrefix(new Uint8Array(ID_BYTES), all)).toBe(2 ** 48 - 1)
  })

  it('orders ids like compareDistance whenever the prefixes differ', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (target, a, b) => {
        const pa = distancePrefix(target, a)
        const pb = distancePrefix(target, b)
        if (pa !== pb) expect(sign(pa - pb)).toBe(sign(compareDistance(target, a, b)))
        else expect(compareBytes(distance(target, a).subarray(0, 6), distance(target, b).subarray(0, 6))).toBe(0)
      }),
      RUNS,
    )
  })
})

describe('idKey', () => {
  it('gives equal ids the same 20-character key and distinct ids distinct keys', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(idKey(a)).toHaveLength(ID_BYTES)
        expect(idKey(a)).toBe(idKey(Uint8Array.from(a)))
        expect(idKey(a) === idKey(b)).toBe(idEquals(a, b))
      }),
      RUNS,
    )
  })
})

describe('compareBytes', () => {
  it('compares lexicographically as unsigned bytes and then by length', () => {
    expect(compareBytes(Uint8Array.of(0x80), Uint8Array.of(0x7f))).toBeGreaterThan(0)
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0)
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0)
  })
})

describe('commonPrefixLength', () => {
  it('is 160 for equal ids and is symmetric', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        expect(commonPrefixLength(a, a)).toBe(ID_BITS)
        expect(commonPrefixLength(a, b)).toBe(commonPrefixLength(b, a))
      }),
      RUNS,
    )
  })

  it('equals the number of leading zero bits of the distance', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        const bits = [...distance(a, b)].map((byte) => byte.toString(2).padStart(8, '0')).join('')
        const firstOne = bits.indexOf('1')
        expect(commonPrefixLength(a, b)).toBe(firstOne < 0 ? ID_BITS : firstOne)
      }),
      RUNS,
    )
  })

  it('counts a difference in the very first and very last bit', () => {
    const a = new Uint8Array(ID_BYTES)
    const first = new Uint8Array(ID_BYTES)
    first[0] = 0x80
    const last = new Uint8Array(ID_BYTES)
    last[ID_BYTES - 1] = 0x01
    expect(commonPrefixLength(a, first)).toBe(0)
    expect(commonPrefixLength(a, last)).toBe(ID_BITS - 1)
  })
})

describe('hex encoding', () => {
  it('round-trips every id through toHex and idFromHex', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const hex = toHex(id)
        expect(hex).toMatch(/^[0-9a-f]{40}$/)
        expect(idFromHex(hex)).toEqual(id)
        expect(idFromHex(hex.toUpperCase())).toEqual(id)
        expect(shortHex(id)).toBe(hex.slice(0, 8))
      }),
      RUNS,
    )
  })

  it('round-trips bytes of any length through toHex and fromHex, and reads nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes)
        expect(fromHex(toHex(bytes).toUpperCase())).toEqual(bytes)
      }),
      RUNS,
    )
    for (const hex of ['0', 'abc', 'zz', ' 00', '0x00', 42 as unknown as string]) expect(fromHex(hex)).toBeUndefined()
  })

  it('rejects strings that are not 40 hex characters with ERR_INVALID_ID', () => {
    const bad = ['', 'abc', '0'.repeat(39), '0'.repeat(41), 'g'.repeat(40), ` ${'0'.repeat(39)}`, `0x${'0'.repeat(38)}`]
    for (const hex of bad) expect(codeOf(() => idFromHex(hex))).toBe(ErrorCode.INVALID_ID)
    expect(codeOf(() => idFromHex(42 as unknown as string))).toBe(ErrorCode.INVALID_ID)
  })

  it('rejects random strings of the wrong shape with ERR_INVALID_ID', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        fc.pre(!/^[0-9a-fA-F]{40}$/.test(s))
        expect(codeOf(() => idFromHex(s))).toBe(ErrorCode.INVALID_ID)
      }),
      RUNS,
    )
  })
})

describe('assertId', () => {
  it('accepts 20-byte arrays and rejects anything else with ERR_INVALID_ID', () => {
    const id = new Uint8Array(ID_BYTES)
    expect(assertId(id)).toBe(id)
    for (const bad of [new Uint8Array(19), new Uint8Array(21), 'x'.repeat(20), null, [...id]]) {
      expect(codeOf(() => assertId(bad))).toBe(ErrorCode.INVALID_ID)
    }
  })
})

describe('keyOf', () => {
  it('is SHA-1 of the UTF-8 name', () => {
    expect(toHex(keyOf('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(toHex(keyOf(''))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  })

  it('hashes bytes and the equal string to the same key', () => {
    expect(keyOf(new TextEncoder().encode('abc'))).toEqual(keyOf('abc'))
    fc.assert(
      fc.property(fc.string(), (s) => {
        const key = keyOf(s)
        expect(key.length).toBe(ID_BYTES)
        expect(keyOf(new TextEncoder().encode(s))).toEqual(key)
      }),
      RUNS,
    )
  })
})

describe('randomIdInBucket', () => {
  it('always returns an id whose common prefix with self is exactly the bucket index', () => {
    fc.assert(
      fc.property(anyId, fc.integer({ min: 0, max: ID_BITS - 1 }), fc.integer(), (self, bucket, seed) => {
        const id = randomIdInBucket(self, bucket, seededRandom(seed))
        expect(id.length).toBe(ID_BYTES)
        expect(commonPrefixLength(self, id)).toBe(bucket)
      }),
      { numRuns: 300 },
    )
  })

  it('covers every bucket of a fixed id', () => {
    const self = idFromHex('0123456789abcdef0123456789abcdef01234567')
    const random = seededRandom(7)
    for (let bucket = 0; bucket < ID_BITS; bucket++) {
      expect(commonPrefixLength(self, randomIdInBucket(self, bucket, random))).toBe(bucket)
    }
  })

  it('rejects a bucket index outside 0..159 with ERR_INVALID_OPTION', () => {
    const self = new Uint8Array(ID_BYTES)
    for (const bucket of [-1, ID_BITS, 1.5, Number.NaN]) {
      expect(codeOf(() => randomIdInBucket(self, bucket, seededRandom(1)))).toBe(ErrorCode.INVALID_OPTION)
    }
  })
})
