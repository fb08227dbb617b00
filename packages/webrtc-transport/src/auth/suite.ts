/**
 * The public-key operations behind authentication, behind one small interface with two
 * implementations: the platform's WebCrypto (native Ed25519 and X25519 in current browsers and
 * Node 20: about ten times faster than JavaScript, and asynchronous) and @noble/curves (pure
 * JavaScript, synchronous underneath; the fallback where WebCrypto lacks the curves, and what
 * tests on a virtual clock use, since WebCrypto's work finishes outside the event loop's order).
 * Measured figures and the choice: RELAY.md, "Authenticated relays".
 *
 * The Diffie-Hellman is X25519 on the node's ed25519 identity keys mapped to their Montgomery
 * form (the birational map RFC 7748 describes; libsodium's crypto_sign_ed25519_pk_to_curve25519),
 * so two nodes share a secret from each other's public keys alone, with no exchange.
 */
import { BoundedMap } from '@browser-dht/kademlia'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { buffer, isUsablePublicKey, type NodeIdentity, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, subtle as platformSubtle, type SubtleLike, verifySignature, type WebCryptoKey } from '@browser-dht/identity'

/**
 * Public keys a WebCrypto suite keeps imported for verifying: a key checked again (an origin's
 * next presence or signed relay) costs neither the curve check nor the import, about two thirds
 * of a verification in Chromium.
 */
export const IMPORTED_VERIFY_KEYS = 1024

export interface AuthSuite {
  readonly name: 'webcrypto' | 'noble'
  /** This node's ed25519 signature of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>
  /** True only for a valid signature by a usable public key (`isUsablePublicKey`). Never rejects. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>
  /**
   * The 32-byte X25519 secret this node shares with the holder of `publicKey` (ed25519), or
   * undefined when the key is not usable. Never rejects.
   */
  sharedSecret(publicKey: Uint8Array): Promise<Uint8Array | undefined>
}

/** Which implementation: `auto` takes WebCrypto when the platform has Ed25519 and X25519. */
export type AuthCrypto = 'auto' | 'webcrypto' | 'noble'

export function createSuite(identity: NodeIdentity, choice: AuthCrypto): AuthSuite {
  const subtle = platformSubtle()
  if (choice === 'noble' || subtle === undefined) return nobleSuite(identity)
  return webCryptoSuite(identity, subtle, choice === 'webcrypto')
}

export function nobleSuite(identity: NodeIdentity): AuthSuite {
  const secret = ed25519.utils.toMontgomerySecret(identity.secretKey)
  return {
    name: 'noble',
    sign: async (message) => ed25519.sign(message, identity.secretKey),
    verify: async (signature, message, publicKey) => verifySignature(signature, message, publicKey),
    sharedSecret: async (publicKey) => {
      if (!isUsablePublicKey(publicKey)) return undefined
      try {
        return x25519.getSharedSecret(secret, ed25519.utils.toMontgomery(publicKey))
      } catch {
        return undefined
      }
    },
  }
}

/** PKCS #8 wrapping of a 32-byte private key: RFC 8410's prefix for Ed25519 (0x70) or X25519 (0x6e). */
function pkcs8(curve: 0x70 | 0x6e, key: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, curve, 0x04, 0x22, 0x04, 0x20]
  const out = new Uint8Array(prefix.length + key.length)
  out.set(prefix)
  out.set(key, prefix.length)
  return out
}

/**
 * WebCrypto with this node's keys imported once. With `strict` false, a platform without the
 * curves (the import fails) falls back to noble for good; with `strict`, the calls fail instead.
 */
export function webCryptoSuite(identity: NodeIdentity, subtle: SubtleLike, strict = false): AuthSuite {
  const noble = nobleSuite(identity)
  const keys = (async () => {
    const signing = await subtle.importKey('pkcs8', pkcs8(0x70, identity.secretKey), { name: 'Ed25519' }, false, ['sign'])
    const agreeing = await subtle.importKey('pkcs8', pkcs8(0x6e, ed25519.utils.toMontgomerySecret(identity.secretKey)), { name: 'X25519' }, false, ['deriveBits'])
    return { signing, agreeing }
  })()
  let fallback: AuthSuite | undefined
  /** Each public key's import for verifying (undefined: not a usable key), by its bytes. */
  const verifyKeys = new BoundedMap<Promise<WebCryptoKey | undefined>>(IMPORTED_VERIFY_KEYS)
  const verifyKey = (publicKey: Uint8Array): Promise<WebCryptoKey | undefined> => {
    const name = String.fromCharCode(...publicKey)
    let key = verifyKeys.get(name)
    if (key === undefined) {
      key = isUsablePublicKey(publicKey)
        ? subtle.importKey('raw', buffer(publicKey), { name: 'Ed25519' }, false, ['verify']).catch(() => undefined)
        : Promise.resolve(undefined)
      verifyKeys.remember(name, key)
    }
    return key
  }
  const ready = keys.then(
    (imported) => imported,
    (error: unknown) => {
      if (strict) throw error
      fallback = noble
      return undefined
    },
  )
  return {
    name: 'webcrypto',
    async sign(message) {
      const imported = await ready
      if (imported === undefined) return fallback!.sign(message)
      return new Uint8Array(await subtle.sign('Ed25519', imported.signing, buffer(message)))
    },
    async verify(signature, message, publicKey) {
      const imported = await ready
      if (imported === undefined) return fallback!.verify(signature, message, publicKey)
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
      const key = await verifyKey(publicKey)
      if (key === undefined) return false
      try {
        return await subtle.verify('Ed25519', key, buffer(signature), buffer(message))
      } catch {
        return false
      }
    },
    async sharedSecret(publicKey) {
      const imported = await ready
      if (imported === undefined) return fallback!.sharedSecret(publicKey)
      if (!isUsablePublicKey(publicKey)) return undefined
      try {
        const peer = await subtle.importKey('raw', buffer(ed25519.utils.toMontgomery(publicKey)), { name: 'X25519' }, false, [])
        return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, imported.agreeing, 256))
      } catch {
        return undefined
      }
    },
  }
}
