/**
 * Each node (tab) has its own IndexedDB database, named after its node ID; the Web Lock the tab
 * holds for its lifetime has the same name. Tabs of one browser profile share IndexedDB, so the
 * names are how a tab tells its own database from those of other (possibly closed) tabs.
 */
import { type Id, toHex } from '@browser-dht/kademlia'

const PREFIX = 'browser-dht-node-'
/** The one object store in each node database. */
export const STORE_NAME = 'kv'

export function databaseNameOf(id: Id): string {
  return PREFIX + toHex(id)
}

/** The node ID (hex) a database name belongs to, or `undefined` for any other database. */
export function nodeIdOfDatabase(name: unknown): string | undefined {
  if (typeof name !== 'string' || !name.startsWith(PREFIX)) return undefined
  const hex = name.slice(PREFIX.length)
  return /^[0-9a-f]{40}$/.test(hex) ? hex : undefined
}
