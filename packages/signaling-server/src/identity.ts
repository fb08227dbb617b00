/**
 * A node's identity: an ed25519 key pair whose node ID is the SHA-1 of the 32-byte public key.
 * The client proves it holds the secret key by signing the server's per-connection nonce under a
 * domain prefix (`CHALLENGE_DOMAIN`), so the signature is useless anywhere else. Browser-safe:
 * no Node built-ins; used by both the client and the server.
 */
import { fromHex, toHex } from '@browser-dht/kademlia'
import { generateIdentity, identityFromSecretKey, idFromPublicKey, type NodeIdentity, sign, verifySignature } from '@browser-dht/identity'
import { CHALLENGE_DOMAIN, NONCE_BYTES, PUBLIC_KEY_BYTES, type RegisterFrame, SIGNATURE_BYTES } from './protocol/frames.ts'
import { isHex } from './protocol/json.ts'

/** The node identity (the WebRTC transport's: ed25519, ID = SHA-1 of the public key). */
export type Identity = NodeIdentity
export { generateIdentity, identityFromSecretKey, idFromPublicKey }

/** The bytes a client signs to register: `CHALLENGE_DOMAIN` + the nonce as hex, encoded UTF-8 (ASCII). */
export function challengeMessage(nonceHex: string): Uint8Array {
  if (!isHex(nonceHex, NONCE_BYTES)) throw new TypeError(`nonce must be ${NONCE_BYTES * 2} lowercase hex digits`)
  // ASCII only (a constant domain and hex digits): one byte per character.
  return Uint8Array.from(CHALLENGE_DOMAIN + nonceHex, (char) => char.charCodeAt(0))
}

/** Signs the server's challenge. */
export function signChallenge(secretKey: Uint8Array, nonceHex: string): Uint8Array {
  return sign(secretKey, challengeMessage(nonceHex))
}

/** The `register` frame answering a `challenge`. */
export function registerFrame(identity: Identity, nonceHex: string): RegisterFrame {
  return {
    type: 'register',
    publicKey: toHex(identity.publicKey),
    signature: toHex(signChallenge(identity.secretKey, nonceHex)),
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
  // isHex checked both: lowercase hex of the right length, so fromHex cannot fail here.
  const publicKey = fromHex(answer.publicKey)!
  const valid = verifySignature(fromHex(answer.signature)!, challengeMessage(answer.nonce), publicKey)
  return valid ? toHex(idFromPublicKey(publicKey)) : undefined
}
