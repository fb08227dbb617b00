/**
 * The public-key operations behind authentication, behind one small interface with two
 * implementations: the platform's WebCrypto (native Ed25519 and X25519 in current browsers and
 * Node 20: about ten times faster than JavaScript, and asynchronous) and @noble/curves (pure
 * JavaScript, the fallback where WebCrypto lacks the curves, and what tests on a virtual clock
 * use), imported on first use so that a page ships no curve arithmetic.
 * Measured figures and the choice: RELAY.md, "Authenticated relays".
 *
 * The Diffie-Hellman is X25519 on the node's ed25519 identity keys mapped to their Montgomery
 * form (the birational map RFC 7748 describes; libsodium's crypto_sign_ed25519_pk_to_curve25519),
 * so two nodes share a secret from each other's public keys alone, with no exchange.
 */
import { BoundedMap, montgomeryPublicKey, verifyWith } from '@browser-dht/kademlia'
import type * as Curves from '@noble/curves/ed25519.js'
import { buffer, isUsablePublicKey, type NodeIdentity, PUBLIC_KEY_BYTES, pkcs8, SIGNATURE_BYTES, subtle as platformSubtle, type SubtleLike, type WebCryptoKey } from '@browser-dht/identity'

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
  if (choice === 'noble' || subtle === undefined) return lazyNobleSuite(identity)
  return webCryptoSuite(identity, subtle, choice === 'webcrypto')
}

/** @noble/curves' ed25519 module (`ed25519`, `x25519`). */
export type NobleCurves = Pick<typeof Curves, 'ed25519' | 'x25519'>

/** The suite over @noble/curves, passed in (noble-suite.ts imports it; `lazyNobleSuite` loads it). */
export function curvesSuite({ ed25519, x25519 }: NobleCurves, identity: NodeIdentity): AuthSuite {
  const secret = ed25519.utils.toMontgomerySecret(identity.secretKey)
  return {
    name: 'noble',
    sign: async (message) => ed25519.sign(message, identity.secretKey),
    verify: async (signature, message, publicKey) => verifyWith(ed25519, signature, message, publicKey),
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

let curves: NobleCurves | undefined
let curvesLoading: Promise<NobleCurves> | undefined

/**
 * Imports @noble/curves (once). A lazy suite made after this settled runs without waiting: tests
 * on a virtual clock load it first, since the import itself finishes outside their control.
 */
export function loadNobleCurves(): Promise<NobleCurves> {
  curvesLoading ??= import('@browser-dht/kademlia/noble-fallback').then(({ ed25519, x25519 }) => (curves = { ed25519, x25519 }))
  return curvesLoading
}

/**
 * The suite over @noble/curves, imported on the first call unless it is loaded already
 * (`loadNobleCurves`); once loaded, each call costs what the noble suite's does.
 */
export function lazyNobleSuite(identity: NodeIdentity): AuthSuite {
  let loaded = curves === undefined ? undefined : curvesSuite(curves, identity)
  const suite = async (): Promise<AuthSuite> => (loaded ??= curvesSuite(await loadNobleCurves(), identity))
  return {
    name: 'noble',
    sign: async (message) => (loaded ?? (await suite())).sign(message),
    verify: async (signature, message, publicKey) => (loaded ?? (await suite())).verify(signature, message, publicKey),
    sharedSecret: async (publicKey) => (loaded ?? (await suite())).sharedSecret(publicKey),
  }
}

/** The X25519 secret of an ed25519 seed: SHA-512 of the seed, first half, clamped (RFC 8032, 5.1.5). */
async function montgomerySecret(subtle: SubtleLike, secretKey: Uint8Array): Promise<Uint8Array> {
  const secret = new Uint8Array(await subtle.digest('SHA-512', buffer(secretKey))).slice(0, 32)
  secret[0]! &= 248
  secret[31]! &= 127
  secret[31]! |= 64
  return secret
}

/**
 * WebCrypto with this node's keys imported once. With `strict` false, a platform without the
 * curves (the import fails) falls back to noble for good; with `strict`, the calls fail instead.
 */
export function webCryptoSuite(identity: NodeIdentity, subtle: SubtleLike, strict = false): AuthSuite {
  const keys = (async () => {
    const signing = await subtle.importKey('pkcs8', pkcs8(0x70, identity.secretKey), { name: 'Ed25519' }, false, ['sign'])
    const agreeing = await subtle.importKey('pkcs8', pkcs8(0x6e, await montgomerySecret(subtle, identity.secretKey)), { name: 'X25519' }, false, ['deriveBits'])
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
      fallback = lazyNobleSuite(identity)
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
        const peer = await subtle.importKey('raw', buffer(montgomeryPublicKey(publicKey)), { name: 'X25519' }, false, [])
        return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, imported.agreeing, 256))
      } catch {
        return undefined
      }
    },
  }
}
