import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode, toHex } from '../src/index.ts'
import { immutableKey, MAX_SALT_BYTES, mutableKey, signableBuffer } from '../src/records/bep44.ts'
import { verifyMutable } from '../src/noble.ts'

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const ascii = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

// BEP 44's published test vectors (bittorrent.org/beps/bep_0044.html, "Test vectors"). The value
// is the byte string "Hello World!" (bencoded 12:Hello World!). The private key given there is the
// expanded 64-byte form, which these libraries cannot sign with, so the vectors are checked by
// verification, which is what a holder and a reader do.
const VECTOR_KEY = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
const HELLO = text('Hello World!')

describe('BEP 44 test vectors', () => {
  it('test 1, mutable without salt: buffer, target and signature', () => {
    const signature = hex('305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01')
    expect(ascii(signableBuffer({ seq: 1, value: HELLO }))).toBe('3:seqi1e1:v12:Hello World!')
    expect(toHex(mutableKey(VECTOR_KEY))).toBe('4a533d47ec9c7d95b1ad75f576cffc641853b750')
    expect(verifyMutable({ publicKey: VECTOR_KEY, seq: 1, value: HELLO, signature })).toBe(true)
  })

  it('test 2, mutable with salt "foobar": buffer, target and signature', () => {
    const salt = text('foobar')
    const signature = hex('6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08')
    expect(ascii(signableBuffer({ salt, seq: 1, value: HELLO }))).toBe('4:salt6:foobar3:seqi1e1:v12:Hello World!')
    expect(toHex(mutableKey(VECTOR_KEY, salt))).toBe('411eba73b6f087ca51a3795d9c8c938d365e32c1')
    expect(verifyMutable({ publicKey: VECTOR_KEY, salt, seq: 1, value: HELLO, signature })).toBe(true)
    // The same signature does not hold without the salt, nor for another seq.
    expect(verifyMutable({ publicKey: VECTOR_KEY, seq: 1, value: HELLO, signature })).toBe(false)
    expect(verifyMutable({ publicKey: VECTOR_KEY, salt, seq: 2, value: HELLO, signature })).toBe(false)
  })

  it('test 3, immutable: the target is the SHA-1 of the bencoded value', () => {
    expect(toHex(immutableKey(HELLO))).toBe('e5f96f6f38320f0f33959cb4d3d656452117aadb')
  })
})

describe('mutable items signed here', () => {
  it('verify exactly what was signed (fast-check)', () => {
    const secret = ed25519.utils.randomSecretKey()
    const publicKey = ed25519.getPublicKey(secret)
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: MAX_SALT_BYTES }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        (salt, seq, value, flip) => {
          const signature = ed25519.sign(signableBuffer({ salt, seq, value }), secret)
          expect(verifyMutable({ publicKey, salt, seq, value, signature })).toBe(true)
          const tampered = signature.slice()
          tampered[flip % 64]! ^= 1
          expect(verifyMutable({ publicKey, salt, seq, value, signature: tampered })).toBe(false)
          expect(verifyMutable({ publicKey, salt, seq: seq === 0 ? 1 : seq - 1, value, signature })).toBe(false)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('refuse salts over 64 bytes, bencoded values over 1000 bytes, and bad seqs, with distinct errors', () => {
    expect(() => mutableKey(VECTOR_KEY, new Uint8Array(65))).toThrow(expect.objectContaining({ code: ErrorCode.SALT_TOO_BIG }))
    expect(() => signableBuffer({ salt: new Uint8Array(65), seq: 1, value: HELLO })).toThrow(expect.objectContaining({ code: ErrorCode.SALT_TOO_BIG }))
    expect(() => signableBuffer({ seq: -1, value: HELLO })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
    expect(() => signableBuffer({ seq: 2 ** 53, value: HELLO })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
    const secret = ed25519.utils.randomSecretKey()
    const publicKey = ed25519.getPublicKey(secret)
    // 996 bytes bencode to 1000 ("996:" + 996): the most BEP 44 allows; 997 is one too many.
    for (const [length, valid] of [[996, true], [997, false]] as const) {
      const value = new Uint8Array(length)
      const signature = ed25519.sign(signableBuffer({ seq: 1, value }), secret)
      expect(verifyMutable({ publicKey, seq: 1, value, signature })).toBe(valid)
    }
  })

  it('never throws on malformed input', () => {
    expect(verifyMutable({ publicKey: new Uint8Array(3), seq: 1, value: HELLO, signature: new Uint8Array(64) })).toBe(false)
    expect(verifyMutable({ publicKey: VECTOR_KEY, seq: -5, value: HELLO, signature: new Uint8Array(64) })).toBe(false)
    expect(verifyMutable({ publicKey: new Uint8Array(32), seq: 1, value: HELLO, signature: new Uint8Array(64) })).toBe(false)
  })
})
