/**
 * The server's side of registration: which node ID a client's answer to its challenge proves.
 * The client's side (the message it signs, its `register` frame) is protocol/challenge.ts.
 */
import { fromHex, toHex } from '@browser-dht/kademlia'
import { idFromPublicKey } from '@browser-dht/identity'
import { verifySignature } from '@browser-dht/identity/noble'
import { challengeMessage } from './protocol/challenge.ts'
import { NONCE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './protocol/frames.ts'
import { isHex } from './protocol/json.ts'

export { challengeMessage, type Identity, registerFrame, signChallenge } from './protocol/challenge.ts'
export { idFromPublicKey }
export { generateIdentity, identityFromSecretKey } from '@browser-dht/identity/noble'

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
