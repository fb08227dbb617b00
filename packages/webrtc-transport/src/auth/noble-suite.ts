/**
 * The AuthSuite in pure JavaScript (@noble/curves), synchronous underneath: where WebCrypto lacks
 * the curves, and what tests on a virtual clock use (WebCrypto's work finishes outside the event
 * loop's order). suite.ts imports this file on first use only, so a page on a current browser
 * never loads it.
 */
import { montgomeryPublicKey } from '@browser-dht/kademlia'
import { isUsablePublicKey, type NodeIdentity } from '@browser-dht/identity'
import { verifySignature } from '@browser-dht/identity/noble'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import type { AuthSuite } from './suite.ts'

export function nobleSuite(identity: NodeIdentity): AuthSuite {
  const secret = ed25519.utils.toMontgomerySecret(identity.secretKey)
  return {
    name: 'noble',
    sign: async (message) => ed25519.sign(message, identity.secretKey),
    verify: async (signature, message, publicKey) => verifySignature(signature, message, publicKey),
    sharedSecret: async (publicKey) => {
      if (!isUsablePublicKey(publicKey)) return undefined
      try {
        return x25519.getSharedSecret(secret, montgomeryPublicKey(publicKey))
      } catch {
        return undefined
      }
    },
  }
}
