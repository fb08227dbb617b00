/**
 * A tab's identity: an ed25519 key pair whose public key's SHA-1 is the node ID. The secret key
 * lives in `sessionStorage`, which is per tab and survives a reload, so a reloaded tab keeps its
 * node ID (and with it its database and its place in the keyspace).
 */
import { generateIdentity, type Identity, identityFromSecretKey } from '@browser-dht/signaling-server/client'

const STORAGE_KEY = 'browser-dht:secret-key'

type KeyStorage = Pick<Storage, 'getItem' | 'setItem'>

/** The secret key stored as hex, or `undefined` if there is none or it is not 32 bytes of hex. */
export function parseSecretKey(raw: unknown): Uint8Array | undefined {
  if (typeof raw !== 'string' || !/^[0-9a-f]{64}$/.test(raw)) return undefined
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(raw.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** The tab's stored identity, or a new one (stored) if it has none. */
export function loadIdentity(storage: KeyStorage): { identity: Identity; restored: boolean } {
  let stored: string | null = null
  try {
    stored = storage.getItem(STORAGE_KEY)
  } catch {
    // sessionStorage disabled: a new identity each load.
  }
  const secretKey = parseSecretKey(stored)
  if (secretKey !== undefined) return { identity: identityFromSecretKey(secretKey), restored: true }
  return { identity: newIdentity(storage), restored: false }
}

/** A new identity, stored in place of the old one. */
export function newIdentity(storage: KeyStorage): Identity {
  const identity = generateIdentity()
  try {
    storage.setItem(STORAGE_KEY, hexOf(identity.secretKey))
  } catch {
    // sessionStorage disabled: the tab works, but a reload gives it a new ID.
  }
  return identity
}
