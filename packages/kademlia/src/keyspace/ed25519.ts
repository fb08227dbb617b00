/**
 * Ed25519 as every part of the DHT shares it: a node's ID is the SHA-1 of its ed25519 public key,
 * records are signed with it (records/), and the transport signs its signals and relays with it.
 * Signing is handed in (`Signer`), since only the identity's owner holds the key; verifying is
 * `Verify` (the transport's WebCrypto in a tab, @noble/curves elsewhere: ed25519-noble.ts).
 *
 * What this file checks needs no curve library, only BigInt arithmetic modulo p = 2^255 - 19, so
 * that a tab checks keys before handing them to WebCrypto without shipping a pure-JS curve:
 *
 * - `isUsablePublicKey`: the 32 bytes decode (RFC 8032, 5.1.3, strictly: y < p, a point on the
 *   curve, no "negative zero" x) to a point not of small order. The curve's 8 small-order points
 *   are exactly those with y in {1, -1, 0, ±y8} (y8 below), so no multiplication is needed.
 * - `montgomeryPublicKey`: the X25519 public key u = (1 + y) / (1 - y) of an ed25519 public key
 *   (RFC 7748, 4.1), for Diffie-Hellman between two nodes' identity keys.
 *
 * Each costs one exponentiation (about 75 µs in Node 20), and the same keys come back again and
 * again (a peer's signals, relays and pair keys; in a process running many peers, every peer
 * checks every other's key), so both answers are remembered per key (`KEYS_REMEMBERED`).
 */
import { BoundedMap } from '../platform/bounded-map.ts'
import { toHex } from './id.ts'

export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

/** Signs with the node's identity key (the transport's WebCrypto or noble suite, or a test key). */
export interface Signer {
  /** The 32-byte ed25519 public key whose SHA-1 is the node's ID. */
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Promise<Uint8Array>
}

/** Checks an ed25519 signature: true only for a valid one by a usable key. Never rejects. */
export type Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean | Promise<boolean>

/** The part of @noble/curves' ed25519 that checks signatures (passed in, so that this file imports no curve). */
export interface Ed25519Verifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, options: { zip215: boolean }): boolean
}

/**
 * True only for a valid strict (RFC 8032, no ZIP-215 leniency) signature by a usable public key
 * (`isUsablePublicKey`), checked by `curve`. Never throws.
 */
export function verifyWith(curve: Ed25519Verifier, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || !isUsablePublicKey(publicKey)) return false
  try {
    return curve.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/**
 * `verifyWith` @noble/curves, imported on first use: what a node verifies with when neither its
 * options nor its transport name a `Verify` (a tab's transport verifies with WebCrypto).
 */
export const lazyVerify: Verify = async (signature, message, publicKey) => verifyWith((await import('../noble-fallback.ts')).ed25519, signature, message, publicKey)

const P = 2n ** 255n - 19n
/** The curve's d = -121665 / 121666 mod p. */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n
/** The y of two of the 4 points of order 8 (the others have −y8); the other small-order points have y = 1 (order 1), −1 (order 2) and 0 (order 4). */
const Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n

const LOW_255 = (1n << 255n) - 1n

const mod = (a: bigint): bigint => ((a % P) + P) % P

/** `x mod p` for 0 ≤ x < 2^510 (a product of two reduced numbers), since 2^255 ≡ 19: no division. */
function reduce(x: bigint): bigint {
  x = (x & LOW_255) + 19n * (x >> 255n)
  x = (x & LOW_255) + 19n * (x >> 255n)
  return x >= P ? x - P : x
}

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = reduce(b * b)) if ((e & 1n) === 1n) result = reduce(result * b)
  return result
}

/** Public keys whose checks are remembered (each answer is a pure function of the key). */
export const KEYS_REMEMBERED = 4096

interface KeyFacts {
  usable: boolean
  montgomery?: Uint8Array
}

const known = new BoundedMap<KeyFacts>(KEYS_REMEMBERED)

function factsOf(publicKey: Uint8Array): KeyFacts {
  const name = toHex(publicKey)
  let facts = known.get(name)
  if (facts === undefined) {
    facts = { usable: checkPublicKey(publicKey) }
    known.remember(name, facts)
  }
  return facts
}

/** The little-endian number of 32 bytes, without bit 255. */
function fieldElement(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = PUBLIC_KEY_BYTES - 1; i >= 0; i--) value = (value << 8n) | BigInt(i === PUBLIC_KEY_BYTES - 1 ? bytes[i]! & 0x7f : bytes[i]!)
  return value
}

/**
 * True for a public key that is a canonically encoded curve point not of small order. Signatures
 * under a small-order key can be forged without any secret key, and Diffie-Hellman with one
 * yields a value everyone can compute. Never throws.
 */
export function isUsablePublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
  return factsOf(publicKey).usable
}

function checkPublicKey(publicKey: Uint8Array): boolean {
  const y = fieldElement(publicKey)
  if (y >= P || y === 0n || y === 1n || y === P - 1n || y === Y8 || y === P - Y8) return false
  // On the curve when x^2 = (y^2 - 1) / (d y^2 + 1) has a root: Euler's criterion on u v (v is
  // never 0 here). u is not 0 (y is not ±1), so x is not 0 and either sign bit is canonical.
  const y2 = (y * y) % P
  return pow((y2 - 1n) * (D * y2 + 1n), (P - 1n) / 2n) === 1n
}

/**
 * The X25519 public key (32 bytes, little-endian u) of an ed25519 public key. Only for a usable
 * key (`isUsablePublicKey`): the caller checks first.
 */
export function montgomeryPublicKey(publicKey: Uint8Array): Uint8Array {
  const facts = factsOf(publicKey)
  facts.montgomery ??= toMontgomery(publicKey)
  return Uint8Array.from(facts.montgomery)
}

function toMontgomery(publicKey: Uint8Array): Uint8Array {
  const y = fieldElement(publicKey)
  let u = mod((1n + y) * pow(1n - y, P - 2n))
  const out = new Uint8Array(PUBLIC_KEY_BYTES)
  for (let i = 0; i < PUBLIC_KEY_BYTES; i++, u >>= 8n) out[i] = Number(u & 0xffn)
  return out
}
