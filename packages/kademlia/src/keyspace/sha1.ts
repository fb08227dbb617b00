/**
 * SHA-1 (FIPS 180-4, 6.1), the hash of Kademlia's keyspace: an ID is the SHA-1 of a public key,
 * a name's key the SHA-1 of the name, a BEP 44 item's key the SHA-1 of its parts. Written here,
 * synchronous and small, because every page needs it and WebCrypto's digest is asynchronous.
 * SHA-1 is used for placement and for the ID puzzle's work, never as a signature's hash.
 */

const BLOCK = 64
const w = new Int32Array(80)
const block = new Uint8Array(BLOCK)
const view = new DataView(block.buffer)
const h = new Int32Array(5)

/** The 20-byte SHA-1 of the concatenation of `parts` (none copied). */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  h.set([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0])
  let filled = 0
  let length = 0
  for (const part of parts) {
    length += part.length
    for (let at = 0; at < part.length; ) {
      const n = Math.min(BLOCK - filled, part.length - at)
      block.set(part.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === BLOCK) {
        compress()
        filled = 0
      }
    }
  }
  block[filled++] = 0x80
  if (filled > BLOCK - 8) {
    block.fill(0, filled)
    compress()
    filled = 0
  }
  block.fill(0, filled, BLOCK - 8)
  // The length in bits, big-endian in 64 bits (below 2^53 here).
  view.setUint32(BLOCK - 8, Math.floor(length / 2 ** 29))
  view.setUint32(BLOCK - 4, (length << 3) >>> 0)
  compress()
  const out = new Uint8Array(20)
  const outView = new DataView(out.buffer)
  for (let i = 0; i < 5; i++) outView.setInt32(4 * i, h[i]!)
  return out
}

/** One block (`block`) into the state `h`. */
function compress(): void {
  for (let t = 0; t < 16; t++) w[t] = view.getInt32(4 * t)
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!
    w[t] = (x << 1) | (x >>> 31)
  }
  let a = h[0]!
  let b = h[1]!
  let c = h[2]!
  let d = h[3]!
  let e = h[4]!
  for (let t = 0; t < 80; t++) {
    const f = t < 20 ? ((b & c) | (~b & d)) + 0x5a827999 : t < 40 ? (b ^ c ^ d) + 0x6ed9eba1 : t < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc : (b ^ c ^ d) + 0xca62c1d6
    const next = (((a << 5) | (a >>> 27)) + f + e + w[t]!) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = next
  }
  h[0] = h[0]! + a
  h[1] = h[1]! + b
  h[2] = h[2]! + c
  h[3] = h[3]! + d
  h[4] = h[4]! + e
}
