/**
 * Ed25519 checks every part of the DHT shares: a node's ID is the SHA-1 of its ed25519 public
 * key, records are signed with it (records/), and the transport signs its signals and relays with
 * it. Verifying needs no secret, so it lives in the core (pure JavaScript, @noble/curves);
 * signing is handed in (`Signer`), since only the identity's owner holds the key.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

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

/**
 * True for a public key that is a canonically encoded curve point not of small order. Signatures
 * under a small-order key can be forged without any secret key, and Diffie-Hellman with one
 * yields a value everyone can compute. Never throws.
 */
export function isUsablePublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false
  try {
    return !ed25519.Point.fromBytes(publicKey, false).isSmallOrder()
  } catch {
    return false // not a point on the curve, or a non-canonical encoding
  }
}

/**
 * True only for a valid strict (RFC 8032, no ZIP-215 leniency) signature by a usable public key
 * (`isUsablePublicKey`). Never throws.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || !isUsablePublicKey(publicKey)) return false
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/**
 * A Signer over a 32-byte ed25519 secret key (seed), with @noble/curves: for Node peers, tests
 * and the simulator (a tab signs with WebCrypto through the transport's suite). The public key is
 * derived on first use.
 */
export function ed25519Signer(secretKey: Uint8Array): Signer {
  let publicKey: Uint8Array | undefined
  return {
    get publicKey(): Uint8Array {
      publicKey ??= ed25519.getPublicKey(secretKey)
      return publicKey
    },
    sign: async (message) => ed25519.sign(message, secretKey),
  }
}
