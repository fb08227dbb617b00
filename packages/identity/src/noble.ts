/**
 * `@browser-dht/identity/noble`: the synchronous half of identities, in pure JavaScript
 * (@noble/curves), for Node peers, tests, the simulator and the signaling server. Apart from the
 * main entry so that a page never loads it (identity.ts imports @noble/curves itself, through
 * `@browser-dht/kademlia/noble-fallback`, on first use, where WebCrypto lacks Ed25519).
 */
// From the core's fallback module, which `createIdentity` and the rest import where WebCrypto
// lacks Ed25519: loaded here already, their first call waits for nothing.
import { ed25519 } from '@browser-dht/kademlia/noble-fallback'
import { checkSecretKey, identityOf, type NodeIdentity } from './identity.ts'

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
  checkSecretKey(secretKey)
  return identityOf(secretKey, ed25519.getPublicKey(secretKey))
}

/** An ed25519 signature of `message` by `secretKey`; `signMessage` is its asynchronous form. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}
