/**
 * `@browser-dht/identity/noble`: the synchronous half of identities, in pure JavaScript
 * (@noble/curves), for Node peers, tests, the simulator and the signaling server, and what
 * identity.ts falls back to (imported on first use) where WebCrypto lacks Ed25519. Apart from the
 * main entry so that a page on a current browser never loads it.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { idFromPublicKey, type NodeIdentity, SECRET_KEY_BYTES } from './identity.ts'

export { verifySignature } from '@browser-dht/kademlia/noble'

/**
 * A fresh random identity that does NOT solve the ID puzzle: for tests and networks that turn the
 * puzzle off (`idPuzzleBits: 0`). Nodes of a network with the puzzle use `createIdentity`.
 */
export function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(ed25519.utils.randomSecretKey())
}

/** The identity of a stored secret key (32 bytes); `restoreIdentity` is its asynchronous form. */
export function identityFromSecretKey(secretKey: Uint8Array): NodeIdentity {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) throw new TypeError(`a secret key is ${SECRET_KEY_BYTES} bytes`)
  const publicKey = ed25519.getPublicKey(secretKey)
  return { secretKey, publicKey, id: idFromPublicKey(publicKey) }
}

/** An ed25519 signature of `message` by `secretKey`; `signMessage` is its asynchronous form. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}
