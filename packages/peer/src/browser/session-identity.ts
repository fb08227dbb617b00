/**
 * A tab's identity: an ed25519 key pair whose public key's SHA-1 is the node ID, and whose ID
 * solves the network's ID puzzle. The secret key lives in `sessionStorage`, which is per tab and
 * survives a reload, so a reloaded tab keeps its node ID (and with it its database and its place
 * in the keyspace) and pays the puzzle once.
 */
import { fromHex, meetsIdPuzzle, toHex } from '@browser-dht/kademlia'
import { createIdentity, type NodeIdentity, restoreIdentity } from '@browser-dht/identity'

const STORAGE_KEY = 'browser-dht:secret-key'

type KeyStorage = Pick<Storage, 'getItem' | 'setItem'>

export interface IdentityOptions {
  /** The network's ID puzzle (the transport's `idPuzzleBits`). */
  puzzleBits: number
  /** Key pairs tried so far while a new identity is searched for. */
  onProgress?: (tried: number) => void
}

export interface LoadedIdentity {
  identity: NodeIdentity
  /** The stored identity was used. */
  restored: boolean
  /** A stored identity did not solve the puzzle and was replaced by a new one. */
  replacedWeak: boolean
}

/** The secret key stored as hex, or `undefined` if there is none or it is not 32 bytes of hex. */
export function parseSecretKey(raw: unknown): Uint8Array | undefined {
  return typeof raw === 'string' && /^[0-9a-f]{64}$/.test(raw) ? fromHex(raw) : undefined
}

/** The tab's stored identity if it solves the puzzle, or a new one (stored) otherwise. */
export async function loadIdentity(storage: KeyStorage, options: IdentityOptions): Promise<LoadedIdentity> {
  let stored: string | null = null
  try {
    stored = storage.getItem(STORAGE_KEY)
  } catch {
    // sessionStorage disabled: a new identity each load.
  }
  const secretKey = parseSecretKey(stored)
  const identity = secretKey === undefined ? undefined : await restoreIdentity(secretKey)
  if (identity !== undefined && meetsIdPuzzle(identity.id, options.puzzleBits)) return { identity, restored: true, replacedWeak: false }
  return { identity: await newIdentity(storage, options), restored: false, replacedWeak: identity !== undefined }
}

/** A new identity that solves the puzzle, stored in place of the old one. */
export async function newIdentity(storage: KeyStorage, options: IdentityOptions): Promise<NodeIdentity> {
  const identity = await createIdentity({ puzzleBits: options.puzzleBits, onProgress: options.onProgress })
  try {
    storage.setItem(STORAGE_KEY, toHex(identity.secretKey))
  } catch {
    // sessionStorage disabled: the tab works, but a reload gives it a new ID.
  }
  return identity
}
