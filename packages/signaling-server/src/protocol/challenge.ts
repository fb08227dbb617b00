/**
 * The client's side of registration: a node proves it holds its identity's secret key by signing
 * the server's per-connection nonce under a domain prefix (`CHALLENGE_DOMAIN`), so the signature
 * is useless anywhere else. The server checks the answer in ../identity.ts. Browser-safe.
 */
import { toHex } from '@browser-dht/kademlia'
import { type NodeIdentity, signMessage } from '@browser-dht/identity'
import { CHALLENGE_DOMAIN, NONCE_BYTES, type RegisterFrame } from './frames.ts'
import { isHex } from './json.ts'

/** The node identity (the WebRTC transport's: ed25519, ID = SHA-1 of the public key). */
export type Identity = NodeIdentity

/** The bytes a client signs to register: `CHALLENGE_DOMAIN` + the nonce as hex, encoded UTF-8 (ASCII). */
export function challengeMessage(nonceHex: string): Uint8Array {
  if (!isHex(nonceHex, NONCE_BYTES)) throw new TypeError(`nonce must be ${NONCE_BYTES * 2} lowercase hex digits`)
  // ASCII only (a constant domain and hex digits): one byte per character.
  return Uint8Array.from(CHALLENGE_DOMAIN + nonceHex, (char) => char.charCodeAt(0))
}

/** Signs the server's challenge (WebCrypto where the platform has Ed25519). */
export function signChallenge(secretKey: Uint8Array, nonceHex: string): Promise<Uint8Array> {
  return signMessage(secretKey, challengeMessage(nonceHex))
}

/** The `register` frame answering a `challenge`. */
export async function registerFrame(identity: Identity, nonceHex: string): Promise<RegisterFrame> {
  return {
    type: 'register',
    publicKey: toHex(identity.publicKey),
    signature: toHex(await signChallenge(identity.secretKey, nonceHex)),
  }
}
