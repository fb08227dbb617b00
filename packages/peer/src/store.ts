/**
 * What a peer keeps: the records it holds for the DHT (the core's `RecordStore`) and the records
 * it published itself (`PublishedStore`), which it announces again after a restart, unchanged.
 * A tab keeps both in IndexedDB (`IdbRecordStore`), a Node peer in files (`FileRecordStore` and
 * `PublishedFiles`), and a peer without storage in memory (`MemoryPeerStore`). Whatever a store
 * hands back is checked again before it is used: storage is as untrusted as the network.
 */
import { type Id, idKey, MemoryRecordStore, type RecordStore } from '@browser-dht/kademlia'

/**
 * A record this node published: announced again after a restart, unchanged. `value` is the
 * signed record as the core stores it (`encodeStoredSet`, one entry), so the peer republishes its
 * proof, never a value it would have to sign again; it is checked when read back.
 */
export interface PublishedEntry {
  key: Id
  value: Uint8Array
  /** The lifetime each (re)publish gives the record. */
  ttlMs: number
  /** When the copies of the last (re)publish expire (wall-clock ms); for adoption by another tab. */
  expiresAt: number
  /** The name it was put under (the key is its SHA-1), when known. */
  name: string | undefined
}

export interface PublishedStore {
  /** Every published entry (ones that do not parse are dropped by the store). */
  published(): Promise<PublishedEntry[]>
  /** Resolves once the entry is durable. */
  savePublished(entry: PublishedEntry): Promise<void>
  deletePublished(key: Id): Promise<void>
}

export interface PeerStore extends RecordStore, PublishedStore {
  /** Lets go of what the store holds open (a database connection, pending writes). */
  close?(): Promise<void>
}

/** A `PeerStore` in memory: for tests, and for peers that keep nothing across restarts. */
export class MemoryPeerStore extends MemoryRecordStore implements PeerStore {
  readonly #published = new Map<string, PublishedEntry>()

  async published(): Promise<PublishedEntry[]> {
    return [...this.#published.values()]
  }

  async savePublished(entry: PublishedEntry): Promise<void> {
    this.#published.set(idKey(entry.key), entry)
  }

  async deletePublished(key: Id): Promise<void> {
    this.#published.delete(idKey(key))
  }
}
