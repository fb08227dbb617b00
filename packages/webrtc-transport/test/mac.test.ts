import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hkdfSha256, keyedMac, macEngine, type MacEngine, rootFractions } from '../src/auth/mac.ts'
// @ts-expect-error: a plain .mjs script without types
import { build, OUT_PATH } from '../../../scripts/build-wasm.mjs'
import { readFileSync } from 'node:fs'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'))
const ENGINES: MacEngine[] = ['wasm', 'noble']

describe('keyedMac (HMAC-SHA256)', () => {
  it('is compiled to WebAssembly here', () => {
    expect(macEngine()).toBe('wasm')
  })

  it('computes SHA-256’s constants as FIPS 180-4 lists them', () => {
    expect(rootFractions(8, 2n)).toEqual([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
    const k = rootFractions(64, 3n)
    expect(k.slice(0, 4)).toEqual([0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5])
    expect(k.slice(-4)).toEqual([0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2])
    expect(k).toHaveLength(64)
  })

  // RFC 4231, test cases 1, 2, 4 and 7 (keys of at most 64 bytes; the key must fit one block).
  const vectors = [
    { key: '0b'.repeat(20), data: hex(new TextEncoder().encode('Hi There')), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
    { key: hex(new TextEncoder().encode('Jefe')), data: hex(new TextEncoder().encode('what do ya want for nothing?')), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
    { key: '0102030405060708090a0b0c0d0e0f10111213141516171819', data: 'cd'.repeat(50), mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
  ]
  for (const engine of ENGINES) {
    it(`passes RFC 4231's test vectors (${engine})`, async () => {
      for (const { key, data, mac } of vectors) {
        const bytes = fromHex(data)
        // Split anywhere: header ‖ message is what is MAC'd.
        for (const at of [0, 1, bytes.length >> 1, bytes.length]) {
          expect(hex((await keyedMac(fromHex(key), engine)).tag(bytes.subarray(0, at), bytes.subarray(at)))).toBe(mac)
        }
      }
    })
  }

  it('gives noble’s HMAC for any key, header and message, across block boundaries and memory growth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), async (key, header, message) => {
        const expected = hex(hmac(sha256, key, Uint8Array.from([...header, ...message])))
        expect(hex((await keyedMac(key, 'wasm')).tag(header, message))).toBe(expected)
      }),
      { numRuns: 300 },
    )
    // Past the first 64 KiB page, and back to a short message.
    const key = new Uint8Array(32).fill(9)
    const long = new Uint8Array(200_000).map((_, i) => i * 7)
    expect(hex((await keyedMac(key, 'wasm')).tag(long.subarray(0, 100), long.subarray(100)))).toBe(hex(hmac(sha256, key, long)))
    expect(hex((await keyedMac(key, 'wasm')).tag(Uint8Array.of(1), new Uint8Array()))).toBe(hex(hmac(sha256, key, Uint8Array.of(1))))
  })

  it('keeps each key’s tags apart when keys are used in turn', async () => {
    const [a, b] = [await keyedMac(new Uint8Array(32).fill(1)), await keyedMac(new Uint8Array(32).fill(2))]
    const m = Uint8Array.of(5, 6, 7)
    const first = hex(a.tag(new Uint8Array(), m))
    expect(hex(b.tag(new Uint8Array(), m))).not.toBe(first)
    expect(hex(a.tag(new Uint8Array(), m))).toBe(first)
  })

  it('falls back to noble where WebAssembly cannot be compiled (a page whose CSP forbids it)', async () => {
    vi.resetModules()
    vi.stubGlobal('WebAssembly', {
      Module: function () {
        throw new Error('Refused to compile or instantiate WebAssembly module')
      },
    })
    try {
      const fresh = await import('../src/auth/mac.ts')
      expect(fresh.macEngine()).toBe('noble')
      const key = new Uint8Array(32).fill(3)
      expect(hex((await fresh.keyedMac(key)).tag(Uint8Array.of(1), Uint8Array.of(2)))).toBe(hex(hmac(sha256, key, Uint8Array.of(1, 2))))
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })

  it('refuses a key longer than a block', async () => {
    await expect(keyedMac(new Uint8Array(65))).rejects.toThrow(RangeError)
  })

  for (const engine of ENGINES) {
    it(`derives noble’s HKDF-SHA256 (32 bytes) for any input key, salt and info (${engine})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 150 }), async (ikm, salt, info) => {
          expect(hex(await hkdfSha256(ikm, salt, info, engine))).toBe(hex(hkdf(sha256, ikm, salt, info, 32)))
        }),
        { numRuns: 100 },
      )
    })
  }

  it('ships the module that sha256.wat builds to', async () => {
    expect(readFileSync(OUT_PATH, 'utf8')).toBe(await build())
  })
})
