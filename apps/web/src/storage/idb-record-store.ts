/**
 * The core's `RecordStore` on IndexedDB (through idb-keyval), one database per node. It also keeps
 * the records this node published, so a reloaded tab announces them again. Everything read back
 * goes through the parsers in `stored-record.ts`; a corrupted entry is deleted, never used.
 */
import type { Id, RecordStore, StoredRecord } from '@browser-dht/kademlia'
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval'
import { STORE_NAME } from './database-name.ts'
import {
  DEFAULT_PARSE_LIMITS,
  HELD_PREFIX,
  heldKey,
  type ParseLimits,
  parsePublishedEntry,
  parseStoredRecord,
  PUBLISHED_PREFIX,
  type PublishedEntry,
  publishedKey,
} from './stored-record.ts'

/** What one node database holds, read in one pass. */
export interface DatabaseContents {
  held: StoredRecord[]
  published: PublishedEntry[]
}

export class IdbRecordStore implements RecordStore {
  readonly #store: UseStore
  readonly #limits: ParseLimits

  constructor(databaseName: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS) {
    this.#store = createStore(databaseName, STORE_NAME)
    this.#limits = limits
  }

  async get(key: Id): Promise<StoredRecord | undefined> {
    const name = heldKey(key)
    const record = parseStoredRecord(await get(name, this.#store), this.#limits)
    if (record === undefined) await del(name, this.#store)
    return record
  }

  /** Resolves when the IndexedDB transaction has completed (committed). */
  put(record: StoredRecord): Promise<void> {
    return set(heldKey(record.key), { key: record.key, value: record.value, expiresAt: record.expiresAt }, this.#store)
  }

  delete(key: Id): Promise<void> {
    return del(heldKey(key), this.#store)
  }

  async all(): Promise<StoredRecord[]> {
    return (await this.contents()).held
  }

  async published(): Promise<PublishedEntry[]> {
    return (await this.contents()).published
  }

  savePublished(entry: PublishedEntry): Promise<void> {
    const { key, value, ttlMs, expiresAt, name } = entry
    return set(publishedKey(key), { key, value, ttlMs, expiresAt, name }, this.#store)
  }

  deletePublished(key: Id): Promise<void> {
    return del(publishedKey(key), this.#store)
  }

  /** Every entry, parsed; corrupted ones (or ones filed under the wrong key) are deleted. */
  async contents(): Promise<DatabaseContents> {
    const out: DatabaseContents = { held: [], published: [] }
    const corrupted: IDBValidKey[] = []
    for (const [name, raw] of await entries(this.#store)) {
      const entry = typeof name !== 'string' ? undefined : this.#parse(name, raw)
      if (entry === undefined) corrupted.push(name)
      else if (entry.kind === 'published') out.published.push(entry.entry)
      else out.held.push(entry.record)
    }
    for (const name of corrupted) await del(name, this.#store)
    return out
  }

  /** Closes this store's connection (so the database can be deleted). */
  close(): Promise<void> {
    return this.#store('readonly', (store) => store.transaction.db.close())
  }

  #parse(name: string, raw: unknown): { kind: 'held'; record: StoredRecord } | { kind: 'published'; entry: PublishedEntry } | undefined {
    if (name.startsWith(HELD_PREFIX)) {
      const record = parseStoredRecord(raw, this.#limits)
      return record !== undefined && heldKey(record.key) === name ? { kind: 'held', record } : undefined
    }
    if (name.startsWith(PUBLISHED_PREFIX)) {
      const entry = parsePublishedEntry(raw, this.#limits)
      return entry !== undefined && publishedKey(entry.key) === name ? { kind: 'published', entry } : undefined
    }
    return undefined
  }
}
