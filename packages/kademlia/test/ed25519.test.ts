import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isUsablePublicKey, montgomeryPublicKey } from '../src/keyspace/ed25519.ts'

/** What @noble/curves says: a canonical encoding of a curve point not of small order. */
function nobleUsable(bytes: Uint8Array): boolean {
  try {
    return !ed25519.Point.fromBytes(bytes, false).isSmallOrder()
  } catch {
    return false
  }
}

const P = 2n ** 255n - 19n
const bytesOf = (value: bigint, signBit = false): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn)
  if (signBit) out[31]! |= 0x80
  return out
}

/** The 8 points of order dividing 8 (noble's torsion subgroup), canonically encoded. */
const torsion = Array.from({ length: 8 }, (_, i) => torsionPoint(i).toBytes())
function torsionPoint(i: number): InstanceType<typeof ed25519.Point> {
  // A generator of the 8-torsion (a point of order 8: its y is y8), times i.
  const y8 = bytesOf(0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n)
  const generator = ed25519.Point.fromBytes(y8, false)
  return i === 0 ? ed25519.Point.ZERO : generator.multiply(BigInt(i))
}

describe('ed25519 public keys without a curve library', () => {
  it('the 8 small-order points are all of small order, and none is usable (either sign bit)', () => {
    const seen = new Set(torsion.map((bytes) => Buffer.from(bytes).toString('hex')))
    expect(seen.size).toBe(8)
    for (const bytes of torsion) {
      expect(ed25519.Point.fromBytes(bytes).isSmallOrder()).toBe(true)
      expect(isUsablePublicKey(bytes)).toBe(false)
      const flipped = Uint8Array.from(bytes)
      flipped[31]! ^= 0x80
      expect(isUsablePublicKey(flipped)).toBe(nobleUsable(flipped))
    }
  })

  it('agrees with @noble/curves on random bytes, real keys, keys plus a small-order point, and non-canonical y', () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((seed) => ed25519.getPublicKey(seed))
    const mixed = fc.tuple(key, fc.integer({ min: 1, max: 7 })).map(([publicKey, i]) => ed25519.Point.fromBytes(publicKey).add(torsionPoint(i)).toBytes())
    const nonCanonical = fc.tuple(fc.bigInt({ min: 0n, max: 18n }), fc.boolean()).map(([excess, sign]) => bytesOf(P + excess, sign))
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), key, mixed, nonCanonical), (bytes) => {
        expect(isUsablePublicKey(bytes)).toBe(nobleUsable(bytes))
      }),
      { numRuns: 600 },
    )
  })

  it('refuses what is not 32 bytes, and never throws', () => {
    for (const bytes of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) expect(isUsablePublicKey(bytes)).toBe(false)
    expect(isUsablePublicKey('x'.repeat(32) as unknown as Uint8Array)).toBe(false)
  })

  it("maps a key to noble's X25519 public key (the birational map of RFC 7748)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const publicKey = ed25519.getPublicKey(seed)
        expect(montgomeryPublicKey(publicKey)).toEqual(ed25519.utils.toMontgomery(publicKey))
      }),
      { numRuns: 100 },
    )
  })

  it('remembers each key’s answers, by its bytes: a key changed in place is checked anew, and the X25519 key handed out is a copy', () => {
    const publicKey = ed25519.getPublicKey(new Uint8Array(32).fill(9))
    expect(isUsablePublicKey(publicKey)).toBe(true)
    const u = montgomeryPublicKey(publicKey)
    u.fill(0)
    expect(montgomeryPublicKey(publicKey)).toEqual(ed25519.utils.toMontgomery(publicKey))
    // The same array, now a small-order point: refused, whatever was remembered for its old bytes.
    publicKey.set(bytesOf(1n, false))
    expect(isUsablePublicKey(publicKey)).toBe(false)
  })
})
