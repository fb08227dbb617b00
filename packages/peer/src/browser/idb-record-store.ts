/**
 * The core's `RecordStore` on IndexedDB (through idb-keyval), one database per node. It also keeps
 * the records this node published, so a reloaded tab announces them again. Everything read back
 * goes through the parsers in `stored-record.ts`; a corrupted entry is deleted, never used.
 *
 * Reads come from memory, durability from IndexedDB. `all()` (which the node calls once, at
 * start) loads every held record into an in-memory mirror; from then on `get` answers from the
 * mirror without touching IndexedDB, so a FIND_VALUE costs no database read. Writes go through:
 * `put` and `delete` resolve once the IndexedDB transaction has committed, and only then change
 * the mirror, so the mirror never holds what IndexedDB refused (and a `get` while a `put` is in
 * flight still sees the old record, as IndexedDB would). Before `all()` has run, `get` reads
 * IndexedDB. The mirror is bounded by what the node keeps (its storage budget, `maxRecords` and
 * `maxStoredBytes`); published entries (`p:`) are not mirrored. It assumes this instance is the
 * only writer of its database once loaded (each tab owns its database, under a Web Lock):
 * records another instance writes later are seen only by the next `all()`.
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
} from '../stored-record.ts'

/** What one node database holds, read in one pass. */
export interface DatabaseContents {
  held: StoredRecord[]
  published: PublishedEntry[]
}

type Write = { name: string; record: StoredRecord | undefined }

export class IdbRecordStore implements RecordStore {
  readonly #store: UseStore
  #closing: Promise<void> | undefined
  readonly #limits: ParseLimits
  /** Held records by entry name (`r:<key hex>`), once `all()` has loaded them. */
  #mirror: Map<string, StoredRecord> | undefined
  /** For each `all()` reading IndexedDB: the writes that committed meanwhile, replayed over its snapshot. */
  readonly #loads = new Set<Write[]>()

  constructor(databaseName: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS) {
    this.#store = createStore(databaseName, STORE_NAME)
    this.#limits = limits
  }

  async get(key: Id): Promise<StoredRecord | undefined> {
    const name = heldKey(key)
    if (this.#mirror !== undefined) return this.#mirror.get(name)
    const record = parseStoredRecord(await get(name, this.#store), this.#limits)
    if (record === undefined) await del(name, this.#store)
    return record
  }

  /** Resolves when the IndexedDB transaction has completed (committed); then the mirror has it. */
  async put(record: StoredRecord): Promise<void> {
    const name = heldKey(record.key)
    const stored = { key: record.key, value: record.value, expiresAt: record.expiresAt }
    await set(name, stored, this.#store)
    this.#wrote({ name, record: stored })
  }

  /** Resolves when the IndexedDB transaction has completed; then the mirror no longer has it. */
  async delete(key: Id): Promise<void> {
    const name = heldKey(key)
    await del(name, this.#store)
    this.#wrote({ name, record: undefined })
  }

  /** Every held record, read from IndexedDB; (re)loads the mirror that `get` answers from. */
  async all(): Promise<StoredRecord[]> {
    const log: Write[] = []
    this.#loads.add(log)
    let held: StoredRecord[]
    try {
      held = (await this.contents()).held
    } finally {
      this.#loads.delete(log)
    }
    const mirror = new Map(held.map((record) => [heldKey(record.key), record]))
    for (const write of log) apply(mirror, write)
    this.#mirror = mirror
    return [...mirror.values()]
  }

  /** Held records in the mirror, or undefined before `all()` has run. */
  get mirrored(): number | undefined {
    return this.#mirror?.size
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

  /** Closes this store's connection (so the database can be deleted). Closing again does nothing. */
  close(): Promise<void> {
    this.#closing ??= this.#store('readonly', (store) => store.transaction.db.close())
    return this.#closing
  }

  /** A write IndexedDB committed: into the mirror, and into the log of a load in progress. */
  #wrote(write: Write): void {
    if (this.#mirror !== undefined) apply(this.#mirror, write)
    for (const log of this.#loads) log.push(write)
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

function apply(mirror: Map<string, StoredRecord>, { name, record }: Write): void {
  if (record === undefined) mirror.delete(name)
  else mirror.set(name, record)
}
