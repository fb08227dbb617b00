/**
 * Ed25519 signatures in pure JavaScript (@noble/curves), synchronous: the default `Verify` of a
 * node whose transport verifies nothing itself (Node peers' tests, the simulator), and a `Signer`
 * over a secret key. A tab verifies and signs with WebCrypto through its transport instead, and
 * never loads this file (a node's default `verify`, `lazyVerify` in ed25519.ts, imports
 * @noble/curves itself on first use). Exported as `@browser-dht/kademlia/noble`.
 */
// From the fallback module, so that whatever loads this file (tests, the simulator, Node tools)
// has it loaded already when a node's `lazyVerify` imports it: its first check waits for nothing.
import { ed25519 } from '../noble-fallback.ts'
import { bencodedLength, MAX_BENCODED_VALUE_BYTES, MAX_SALT_BYTES, type MutableItem, signableBuffer } from '../records/bep44.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Signer, verifyWith } from './ed25519.ts'

/**
 * True only for a valid strict (RFC 8032, no ZIP-215 leniency) signature by a usable public key
 * (`isUsablePublicKey`). Never throws.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyWith(ed25519, signature, message, publicKey)
}

/**
 * A Signer over a 32-byte ed25519 secret key (seed): for Node peers, tests and the simulator (a
 * tab signs with WebCrypto through the transport's suite). The public key is derived on first use.
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

/**
 * True when `signature` is the publisher's ed25519 signature (strict, by a usable key) of a BEP 44
 * mutable item's signable buffer, with a salt and value within BEP 44's bounds. Never throws:
 * malformed input is simply not valid.
 */
export function verifyMutable(item: MutableItem): boolean {
  try {
    if (item.publicKey.length !== PUBLIC_KEY_BYTES || item.signature.length !== SIGNATURE_BYTES) return false
    if ((item.salt?.length ?? 0) > MAX_SALT_BYTES || bencodedLength(item.value.length) > MAX_BENCODED_VALUE_BYTES) return false
    return verifySignature(item.signature, signableBuffer(item), item.publicKey)
  } catch {
    return false
  }
}
