/**
 * A node's identity: an ed25519 key pair whose node ID is the SHA-1 of the 32-byte public key.
 * The transport signs every signal it sends with it, so the node at the other end (and nobody in
 * between) can tell who dialed, and a connection is bound to the ID that signed its handshake.
 * Browser-safe: no Node built-ins (randomness comes from `crypto.getRandomValues`).
 */
import { type Id, keyOf } from '@browser-dht/kademlia'
import { ed25519 } from '@noble/curves/ed25519.js'

export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

export interface NodeIdentity {
  /** 32-byte ed25519 secret key (seed). Keep it to keep the node ID. */
  readonly secretKey: Uint8Array
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array
  /** 20-byte node ID: SHA-1 of `publicKey`. */
  readonly id: Id
}

/** A fresh random identity. */
export function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(ed25519.utils.randomSecretKey())
}

/** The identity of a stored secret key (32 bytes). */
export function identityFromSecretKey(secretKey: Uint8Array): NodeIdentity {
  const publicKey = ed25519.getPublicKey(secretKey)
  return { secretKey, publicKey, id: idFromPublicKey(publicKey) }
}

/** The node ID of a public key: its SHA-1, via the core's `keyOf`. */
export function idFromPublicKey(publicKey: Uint8Array): Id {
  return keyOf(publicKey)
}

/** An ed25519 signature of `message` by `secretKey`. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}

/**
 * True only for a valid strict (RFC 8032, no ZIP-215 leniency) signature by a public key that is
 * not of small order (for which signatures can be forged without the secret key). Never throws.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  try {
    if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) return false
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false // not a point on the curve, or a non-canonical encoding
  }
}
