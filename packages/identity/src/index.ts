/**
 * @browser-dht/identity: a node's identity (an ed25519 key pair, node ID = SHA-1 of the public
 * key, the network's ID puzzle), signing and checking, and the slice of WebCrypto it uses. Used by
 * the WebRTC transport, the signaling server and the peer, none of which depends on another for
 * it. Browser-safe: no Node built-ins.
 */
export {
  createIdentity,
  type CreateIdentityOptions,
  idFromPublicKey,
  isUsablePublicKey,
  type NodeIdentity,
  PUBLIC_KEY_BYTES,
  restoreIdentity,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  signMessage,
} from './identity.ts'
export { buffer, pkcs8, subtle, type SubtleLike, type WebCryptoKey, type WebCryptoKeyPair } from './webcrypto.ts'
