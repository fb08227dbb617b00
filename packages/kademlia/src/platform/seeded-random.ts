import type { Random } from './platform.ts'

/**
 * A deterministic Random (sfc32) for simulations and tests: the same seed gives the same
 * network, the same lookups and the same figures. Not for keys or anything secret.
 */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b)
  let c = 0xb7e15162
  let d = 1
  const next = (): number => {
    a |= 0; b |= 0; c |= 0; d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 15; i++) next()
  return {
    bytes(n) {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i += 4) {
        let word = next()
        for (let j = i; j < Math.min(n, i + 4); j++) {
          out[j] = word & 0xff
          word >>>= 8
        }
      }
      return out
    },
    float: () => next() / 2 ** 32,
  }
}
