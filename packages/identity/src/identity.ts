/**
 * A node's identity: an ed25519 key pair whose node ID is the SHA-1 of the 32-byte public key.
 * The transport signs every signal it sends with it, so the node at the other end (and nobody in
 * between) can tell who dialed, and a connection is bound to the ID that signed its handshake.
 * Browser-safe: no Node built-ins (randomness comes from `crypto.getRandomValues`).
 */
import { type AbortSignalLike, DEFAULT_ID_PUZZLE_BITS, type Id, keyOf, MAX_ID_PUZZLE_BITS, meetsIdPuzzle } from '@browser-dht/kademlia'
import { ed25519 } from '@noble/curves/ed25519.js'
import { subtle as platformSubtle, type WebCryptoKeyPair } from './webcrypto.ts'

// The core checks signatures (records are signed too); this package re-exports its checks.
export { isUsablePublicKey, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, verifySignature } from '@browser-dht/kademlia'
export const SECRET_KEY_BYTES = 32

export interface NodeIdentity {
  /** 32-byte ed25519 secret key (seed). Keep it to keep the node ID. */
  readonly secretKey: Uint8Array
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array
  /** 20-byte node ID: SHA-1 of `publicKey`. */
  readonly id: Id
}

/**
 * A fresh random identity that does NOT solve the ID puzzle: for tests and networks that turn the
 * puzzle off (`idPuzzleBits: 0`). Nodes of a network with the puzzle use `createIdentity`.
 */
export function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(ed25519.utils.randomSecretKey())
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
  const batch = await webCryptoBatch().catch(() => nobleBatch)
  for (let tried = 0; ; tried += PUZZLE_BATCH) {
    if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('aborted')
    const found = await batch(bits)
    if (found !== undefined) return found
    options.onProgress?.(tried + PUZZLE_BATCH)
  }
}

type PuzzleBatch = (bits: number) => Promise<NodeIdentity | undefined>

/** One batch with noble: synchronous key generation, then a pause so the page stays responsive. */
const nobleBatch: PuzzleBatch = async (bits) => {
  for (let i = 0; i < PUZZLE_BATCH; i++) {
    const identity = generateIdentity()
    if (meetsIdPuzzle(identity.id, bits)) return identity
  }
  const { setTimeout } = globalThis as unknown as { setTimeout: (callback: () => void, ms: number) => unknown }
  await new Promise<void>((resolve) => setTimeout(resolve, 0))
  return undefined
}

/** The WebCrypto batch, or a rejection when the platform has no Ed25519. */
async function webCryptoBatch(): Promise<PuzzleBatch> {
  const subtle = platformSubtle()
  if (subtle === undefined) throw new Error('no WebCrypto')
  await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])
  const one = async (bits: number): Promise<NodeIdentity | undefined> => {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as WebCryptoKeyPair
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
    if (!meetsIdPuzzle(idFromPublicKey(publicKey), bits)) return undefined
    // PKCS #8 of an Ed25519 key: a 16-byte prefix, then the 32-byte seed.
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey))
    return identityFromSecretKey(pkcs8.slice(pkcs8.length - SECRET_KEY_BYTES))
  }
  return async (bits) => {
    const results = await Promise.all(Array.from({ length: PUZZLE_BATCH }, () => one(bits)))
    return results.find((identity) => identity !== undefined)
  }
}

/** The identity of a stored secret key (32 bytes). */
export function identityFromSecretKey(secretKey: Uint8Array): NodeIdentity {
  const publicKey = ed25519.getPublicKey(secretKey)
  return { secretKey, publicKey, id: idFromPublicKey(publicKey) }
}

/** The node ID of a public key: its SHA-1, via the core's `keyOf`. */
export function idFromPublicKey(publicKey: Uint8Array): Id {
  return keyOf(publicKey)
}

/** An ed25519 signature of `message` by `secretKey`. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}

