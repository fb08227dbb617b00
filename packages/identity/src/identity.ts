/**
 * A node's identity: an ed25519 key pair whose node ID is the SHA-1 of the 32-byte public key.
 * The transport signs every signal it sends with it, so the node at the other end (and nobody in
 * between) can tell who dialed, and a connection is bound to the ID that signed its handshake.
 *
 * Everything here is asynchronous and runs on the platform's WebCrypto when it has Ed25519
 * (current browsers and Node 20), so a page ships no curve arithmetic; @noble/curves is imported
 * on first use where it is missing. The synchronous API for Node and tests is noble.ts.
 * Browser-safe: no Node built-ins.
 */
import { type AbortSignalLike, DEFAULT_ID_PUZZLE_BITS, type Id, keyOf, MAX_ID_PUZZLE_BITS, meetsIdPuzzle } from '@browser-dht/kademlia'
import type * as Curves from '@noble/curves/ed25519.js'
import { buffer, fromBase64Url, pkcs8, subtle as platformSubtle, type SubtleLike, type WebCryptoKeyPair } from './webcrypto.ts'

// The core checks signatures (records are signed too); this package re-exports its checks.
export { isUsablePublicKey, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '@browser-dht/kademlia'
export const SECRET_KEY_BYTES = 32

export interface NodeIdentity {
  /** 32-byte ed25519 secret key (seed). Keep it to keep the node ID. */
  readonly secretKey: Uint8Array
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array
  /** 20-byte node ID: SHA-1 of `publicKey`. */
  readonly id: Id
}

/** @noble/curves' ed25519, loaded on first use where WebCrypto lacks Ed25519. */
const noble = async (): Promise<typeof Curves.ed25519> => (await import('@browser-dht/kademlia/noble-fallback')).ed25519

/** The identity of a key pair (its ID is the public key's SHA-1). */
export function identityOf(secretKey: Uint8Array, publicKey: Uint8Array): NodeIdentity {
  return { secretKey, publicKey, id: idFromPublicKey(publicKey) }
}

/** Key pairs generated at once while searching for a puzzle solution (WebCrypto works them in parallel). */
const PUZZLE_BATCH = 16

export interface CreateIdentityOptions {
  /** The network's ID puzzle (`idPuzzleBits`). Default `DEFAULT_ID_PUZZLE_BITS`. */
  puzzleBits?: number
  /** Stops the search: the promise rejects with the signal's reason. */
  signal?: AbortSignalLike
  /** Called every batch with the number of key pairs tried so far (for a progress display). */
  onProgress?: (tried: number) => void
}

/**
 * A fresh identity whose ID solves the ID puzzle: key pairs are generated until the SHA-1 of the
 * ID has `puzzleBits` leading zero bits, about 2^puzzleBits of them (a geometric number of
 * tries). WebCrypto's native key generation when the platform has Ed25519 (several times faster,
 * and it leaves the page responsive), else @noble/curves with a pause every batch. Keep the
 * result: the search is paid once per identity.
 */
export async function createIdentity(options: CreateIdentityOptions = {}): Promise<NodeIdentity> {
  const bits = options.puzzleBits ?? DEFAULT_ID_PUZZLE_BITS
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_ID_PUZZLE_BITS) throw new RangeError(`puzzleBits must be 0..${MAX_ID_PUZZLE_BITS}`)
  const batch = await webCryptoBatch().catch(nobleBatch)
  for (let tried = 0; ; tried += PUZZLE_BATCH) {
    if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('aborted')
    const found = await batch(bits)
    if (found !== undefined) return found
    options.onProgress?.(tried + PUZZLE_BATCH)
  }
}

type PuzzleBatch = (bits: number) => Promise<NodeIdentity | undefined>

/** One batch with noble: synchronous key generation, then a pause so the page stays responsive. */
async function nobleBatch(): Promise<PuzzleBatch> {
  const ed25519 = await noble()
  return async (bits) => {
    for (let i = 0; i < PUZZLE_BATCH; i++) {
      const secretKey = ed25519.utils.randomSecretKey()
      const identity = identityOf(secretKey, ed25519.getPublicKey(secretKey))
      if (meetsIdPuzzle(identity.id, bits)) return identity
    }
    const { setTimeout } = globalThis as unknown as { setTimeout: (callback: () => void, ms: number) => unknown }
    await new Promise<void>((resolve) => setTimeout(resolve, 0))
    return undefined
  }
}

/** The platform's WebCrypto, or a rejection where it is missing. */
function webCrypto(): SubtleLike {
  const subtle = platformSubtle()
  if (subtle === undefined) throw new Error('no WebCrypto')
  return subtle
}

/** The WebCrypto batch, or a rejection when the platform has no Ed25519. */
async function webCryptoBatch(): Promise<PuzzleBatch> {
  const subtle = webCrypto()
  await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])
  const one = async (bits: number): Promise<NodeIdentity | undefined> => {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as WebCryptoKeyPair
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
    const id = idFromPublicKey(publicKey)
    if (!meetsIdPuzzle(id, bits)) return undefined
    // PKCS #8 of an Ed25519 key: a 16-byte prefix, then the 32-byte seed.
    const secretKey = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)).slice(-SECRET_KEY_BYTES)
    return { secretKey, publicKey, id }
  }
  return async (bits) => {
    const results = await Promise.all(Array.from({ length: PUZZLE_BATCH }, () => one(bits)))
    return results.find((identity) => identity !== undefined)
  }
}

/** Throws a TypeError for anything but 32 bytes. */
export function checkSecretKey(secretKey: Uint8Array): void {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) throw new TypeError(`a secret key is ${SECRET_KEY_BYTES} bytes`)
}

/**
 * The identity of a stored secret key (32 bytes): its public key from WebCrypto (the key's JWK
 * carries it), else from noble. Throws a TypeError for anything but 32 bytes.
 */
export async function restoreIdentity(secretKey: Uint8Array): Promise<NodeIdentity> {
  checkSecretKey(secretKey)
  try {
    const subtle = webCrypto()
    const key = await subtle.importKey('pkcs8', pkcs8(0x70, secretKey), { name: 'Ed25519' }, true, ['sign'])
    const publicKey = fromBase64Url((await subtle.exportKey('jwk', key)).x ?? '')
    if (publicKey.length === SECRET_KEY_BYTES) return identityOf(Uint8Array.from(secretKey), publicKey)
  } catch {
    // No Ed25519 in this platform's WebCrypto: noble below.
  }
  return identityOf(Uint8Array.from(secretKey), (await noble()).getPublicKey(secretKey))
}

/** An ed25519 signature of `message` by `secretKey`: WebCrypto's, else noble's. */
export async function signMessage(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  checkSecretKey(secretKey)
  try {
    const subtle = webCrypto()
    const key = await subtle.importKey('pkcs8', pkcs8(0x70, secretKey), { name: 'Ed25519' }, false, ['sign'])
    return new Uint8Array(await subtle.sign('Ed25519', key, buffer(message)))
  } catch {
    return (await noble()).sign(message, secretKey)
  }
}

/** The node ID of a public key: its SHA-1, via the core's `keyOf`. */
export function idFromPublicKey(publicKey: Uint8Array): Id {
  return keyOf(publicKey)
}
