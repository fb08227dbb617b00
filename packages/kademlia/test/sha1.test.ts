import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha1 } from '../src/keyspace/sha1.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('sha1', () => {
  it("gives FIPS 180's examples", () => {
    expect(hex(sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(hex(sha1(new Uint8Array()))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
    expect(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1')
    expect(hex(sha1(new Uint8Array(1_000_000).fill(0x61)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f')
  })

  it('pads right at every length around a block boundary (55, 56, 63, 64 … bytes)', () => {
    for (let length = 0; length <= 130; length++) {
      const bytes = new Uint8Array(length).map((_, i) => i * 31)
      expect(hex(sha1(bytes))).toBe(hex(nobleSha1(bytes)))
    }
  })

  it('agrees with @noble/hashes on any bytes, however they are split into parts', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 4 }), (parts) => {
        expect(hex(sha1(...parts))).toBe(hex(nobleSha1(Uint8Array.from(parts.flatMap((part) => [...part])))))
      }),
      { numRuns: 500 },
    )
  })
})
