/**
 * The 160-bit keyspace. Node IDs and record keys are both `Id`s: 20 bytes, compared bytewise,
 * never converted to JS numbers. Distance is XOR.
 */
import { sha1 } from './sha1.ts'
import { DhtError, ErrorCode } from '../errors.ts'
import type { Random } from '../platform/platform.ts'

export const ID_BYTES = 20
export const ID_BITS = ID_BYTES * 8

/** A 160-bit node ID or record key. Any 20-byte Uint8Array is one. */
export type Id = Uint8Array

/** Returns `bytes` if it is a valid ID, or throws ERR_INVALID_ID. */
export function assertId(bytes: unknown, what = 'id'): Id {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ID_BYTES) {
    throw new DhtError(ErrorCode.INVALID_ID, `${what} must be ${ID_BYTES} bytes`)
  }
  return bytes
}

/** The key of a name: its SHA-1, as in the classic DHT design. */
export function keyOf(name: string | Uint8Array): Id {
  return sha1(typeof name === 'string' ? utf8(name) : name)
}

/** XOR distance between two IDs, as a new 20-byte array. */
export function distance(a: Id, b: Id): Uint8Array {
  const out = new Uint8Array(ID_BYTES)
  for (let i = 0; i < ID_BYTES; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Orders two IDs by their XOR distance to `target`: negative if `a` is closer, 0 if equal. */
export function compareDistance(target: Id, a: Id, b: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** The standard `TextEncoder` (every browser and Node have it; the core's lib has no DOM types). */
const { TextEncoder } = globalThis as unknown as { TextEncoder: new () => { encode(text: string): Uint8Array } }

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** `parts` one after the other, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * Bytewise comparison of two byte strings (lexicographic, unsigned; a proper prefix first). 0 means
 * the same bytes, whatever their length: the one equality of byte strings (`idEquals` reads 20 bytes).
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

/**
 * The first 48 bits of the XOR distance between `a` and `target`, as an exact integer. Comparing
 * these orders almost every pair; only equal prefixes need `compareDistance`.
 */
export function distancePrefix(target: Id, a: Id): number {
  return (
    ((a[0]! ^ target[0]!) * 2 ** 40) +
    ((a[1]! ^ target[1]!) * 2 ** 32) +
    ((((a[2]! ^ target[2]!) << 24) | ((a[3]! ^ target[3]!) << 16) | ((a[4]! ^ target[4]!) << 8) | (a[5]! ^ target[5]!)) >>> 0)
  )
}

/** A compact string key for maps (20 chars, one per byte); cheaper to build than hex. */
export function idKey(id: Id): string {
  return String.fromCharCode(
    id[0]!, id[1]!, id[2]!, id[3]!, id[4]!, id[5]!, id[6]!, id[7]!, id[8]!, id[9]!,
    id[10]!, id[11]!, id[12]!, id[13]!, id[14]!, id[15]!, id[16]!, id[17]!, id[18]!, id[19]!,
  )
}

export function idEquals(a: Id, b: Id): boolean {
  if (a === b) return true
  for (let i = 0; i < ID_BYTES; i++) if (a[i] !== b[i]) return false
  return true
}

/** Number of leading bits `a` and `b` share: 160 for equal IDs. */
export function commonPrefixLength(a: Id, b: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ID_BITS
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Any bytes (an ID, a key, a nonce) as lowercase hex, two characters a byte. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]
  return s
}

/** Hex (either case, two characters a byte) back into bytes; undefined for anything else. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Parses 40 hex characters (either case) into an ID, or throws ERR_INVALID_ID. */
export function idFromHex(hex: string): Id {
  const id = typeof hex === 'string' && hex.length === ID_BYTES * 2 ? fromHex(hex) : undefined
  if (id === undefined) throw new DhtError(ErrorCode.INVALID_ID, 'an id is 40 hexadecimal characters')
  return id
}

/** A short human label: the first 8 hex characters. */
export function shortHex(id: Id): string {
  return toHex(id.subarray(0, 4))
}

/**
 * A random ID whose common prefix with `self` is exactly `bucket` bits: it shares the first
 * `bucket` bits, differs at bit `bucket`, and is random after it. This is the range that bucket
 * `bucket` of `self`'s routing table covers.
 */
export function randomIdInBucket(self: Id, bucket: number, random: Random): Id {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= ID_BITS) {
    throw new DhtError(ErrorCode.INVALID_OPTION, `bucket index must be 0..${ID_BITS - 1}`)
  }
  const out = random.bytes(ID_BYTES)
  const byte = bucket >> 3
  const bit = bucket & 7
  for (let i = 0; i < byte; i++) out[i] = self[i]!
  const keepMask = (0xff00 >> bit) & 0xff // the first `bit` bits come from self
  const flip = 0x80 >> bit // bit `bucket` differs from self
  out[byte] = (self[byte]! & keepMask) | (~self[byte]! & flip) | (out[byte]! & ~keepMask & ~flip & 0xff)
  return out
}
