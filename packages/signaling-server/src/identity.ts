/**
 * A node's identity: an ed25519 key pair whose node ID is the SHA-1 of the 32-byte public key.
 * The client proves it holds the secret key by signing the server's per-connection nonce under a
 * domain prefix (`CHALLENGE_DOMAIN`), so the signature is useless anywhere else. Browser-safe:
 * no Node built-ins; used by both the client and the server.
 */
import { type Id, keyOf, toHex } from '@browser-dht/kademlia'
import { ed25519 } from '@noble/curves/ed25519.js'
import { asciiToBytes, bytesToHex, hexToBytes } from '@noble/curves/utils.js'
import { CHALLENGE_DOMAIN, NONCE_BYTES, PUBLIC_KEY_BYTES, type RegisterFrame, SIGNATURE_BYTES } from './protocol/frames.ts'
import { isHex } from './protocol/json.ts'

export interface Identity {
  /** 32-byte ed25519 secret key (seed). Keep it to keep the node ID. */
  readonly secretKey: Uint8Array
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array
  /** 20-byte node ID: SHA-1 of `publicKey`. */
  readonly id: Id
}

/** A fresh random identity (the randomness comes from `crypto.getRandomValues`). */
export function generateIdentity(): Identity {
  return identityFromSecretKey(ed25519.utils.randomSecretKey())
}

/** The identity of a stored secret key. */
export function identityFromSecretKey(secretKey: Uint8Array): Identity {
  const publicKey = ed25519.getPublicKey(secretKey)
  return { secretKey, publicKey, id: idFromPublicKey(publicKey) }
}

/** The node ID of a public key: its SHA-1, via the core's `keyOf`. */
export function idFromPublicKey(publicKey: Uint8Array): Id {
  return keyOf(publicKey)
}

/** The bytes a client signs to register: `CHALLENGE_DOMAIN` + the nonce as hex, encoded UTF-8 (ASCII). */
export function challengeMessage(nonceHex: string): Uint8Array {
  if (!isHex(nonceHex, NONCE_BYTES)) throw new TypeError(`nonce must be ${NONCE_BYTES * 2} lowercase hex digits`)
  return asciiToBytes(CHALLENGE_DOMAIN + nonceHex)
}

/** Signs the server's challenge. */
export function signChallenge(secretKey: Uint8Array, nonceHex: string): Uint8Array {
  return ed25519.sign(challengeMessage(nonceHex), secretKey)
}

/** The `register` frame answering a `challenge`. */
export function registerFrame(identity: Identity, nonceHex: string): RegisterFrame {
  return {
    type: 'register',
    publicKey: bytesToHex(identity.publicKey),
    signature: bytesToHex(signChallenge(identity.secretKey, nonceHex)),
  }
}

export interface ChallengeAnswer {
  readonly nonce: string
  readonly publicKey: string
  readonly signature: string
}

/**
 * The node ID (hex) the answer proves, or undefined when it proves nothing: a signature that does
 * not verify (strict RFC 8032, no ZIP-215 leniency), or a small-order public key, for which
 * signatures can be forged without any secret key. Never throws.
 */
export function verifyChallenge(answer: ChallengeAnswer): string | undefined {
  if (!isHex(answer.nonce, NONCE_BYTES) || !isHex(answer.publicKey, PUBLIC_KEY_BYTES) || !isHex(answer.signature, SIGNATURE_BYTES)) {
    return undefined
  }
  try {
    const publicKey = hexToBytes(answer.publicKey)
    if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) return undefined
    const valid = ed25519.verify(hexToBytes(answer.signature), challengeMessage(answer.nonce), publicKey, { zip215: false })
    return valid ? toHex(idFromPublicKey(publicKey)) : undefined
  } catch {
    return undefined // not a point on the curve, or a non-canonical encoding
  }
}
