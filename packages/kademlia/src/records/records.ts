/**
 * The records a node holds for others: the rules for accepting a STORE, the storage budget,
 * expiry, and what replication needs to know. Values live in the RecordStore; this class keeps a
 * small index (key, size, expiry) in memory so budget checks and expiry never touch storage.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, idKey } from '../keyspace/id.ts'
import type { StoreMode } from '../wire/messages.ts'
import type { RecordStore, StoredRecord } from './record-store.ts'

export interface RecordLimits {
  maxValueBytes: number
  maxRecords: number
  maxStoredBytes: number
  maxTtlMs: number
}

export interface RecordMeta {
  readonly key: Id
  size: number
  expiresAt: number
  /** Clock time a replicate STORE for this key last arrived (0 if never). */
  replicatedAt: number
}

export type AcceptOutcome = 'stored' | 'kept'

export class Records {
  readonly #index = new Map<string, RecordMeta>()
  #bytes = 0

  constructor(
    readonly store: RecordStore,
    readonly limits: RecordLimits,
  ) {}

  /** Reads the index from the store, dropping records that have expired or break the limits. */
  async load(now: number): Promise<void> {
    for (const record of await this.store.all()) {
      const fits =
        record.value.length <= this.limits.maxValueBytes &&
        this.#fits(record.value.length, 0) &&
        this.#index.size < this.limits.maxRecords
      if (record.expiresAt <= now || !fits) {
        await this.store.delete(record.key)
        continue
      }
      this.#setMeta(record.key, record.value.length, record.expiresAt, 0)
    }
  }

  get count(): number {
    return this.#index.size
  }

  get bytes(): number {
    return this.#bytes
  }

  meta(key: Id): RecordMeta | undefined {
    return this.#index.get(idKey(key))
  }

  /** Every live record's index entry. */
  metas(now: number): RecordMeta[] {
    return [...this.#index.values()].filter((meta) => meta.expiresAt > now)
  }

  /**
   * Applies a STORE. A publish replaces the value; a replicate or cache STORE fills a gap and
   * otherwise only extends the expiry. Resolves after the record is durable in the store.
   */
  async accept(key: Id, value: Uint8Array, ttlMs: number, mode: StoreMode, now: number): Promise<AcceptOutcome> {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > this.limits.maxTtlMs) {
      throw new DhtError(ErrorCode.INVALID_TTL, `ttl must be 1..${this.limits.maxTtlMs} ms`)
    }
    if (value.length > this.limits.maxValueBytes) {
      throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `value of ${value.length} bytes exceeds ${this.limits.maxValueBytes}`)
    }
    const existing = this.#index.get(idKey(key))
    const live = existing !== undefined && existing.expiresAt > now
    const expiresAt = now + ttlMs
    if (live && mode !== 'publish') {
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt)
      if (mode === 'replicate') existing.replicatedAt = now
      return 'kept'
    }
    if (!this.#fits(value.length, existing?.size ?? 0) || (existing === undefined && this.#index.size >= this.limits.maxRecords)) {
      throw new DhtError(ErrorCode.STORAGE_FULL, 'this node holds as many records as it may')
    }
    const meta = this.#setMeta(key, value.length, expiresAt, mode === 'replicate' ? now : 0)
    try {
      await this.store.put({ key, value, expiresAt })
    } catch (error) {
      // Storage refused: forget the new entry and keep indexing the old one, still in the store.
      this.#remove(meta)
      if (existing !== undefined && !this.#index.has(idKey(key))) {
        this.#setMeta(key, existing.size, existing.expiresAt, existing.replicatedAt)
      }
      throw error
    }
    return 'stored'
  }

  /** The live record for `key`, with its remaining TTL. */
  async read(key: Id, now: number): Promise<{ value: Uint8Array; ttlMs: number } | undefined> {
    const meta = this.#index.get(idKey(key))
    if (meta === undefined || meta.expiresAt <= now) return undefined
    const record: StoredRecord | undefined = await this.store.get(key)
    if (record === undefined) return undefined
    return { value: record.value, ttlMs: Math.ceil(meta.expiresAt - now) }
  }

  /** Deletes every record whose TTL has run out; returns how many. */
  async expire(now: number): Promise<number> {
    const expired = [...this.#index.values()].filter((meta) => meta.expiresAt <= now)
    for (const meta of expired) {
      this.#remove(meta)
      await this.store.delete(meta.key)
    }
    return expired.length
  }

  #fits(size: number, replacing: number): boolean {
    return this.#bytes - replacing + size <= this.limits.maxStoredBytes
  }

  #setMeta(key: Id, size: number, expiresAt: number, replicatedAt: number): RecordMeta {
    const hex = idKey(key)
    const existing = this.#index.get(hex)
    if (existing !== undefined) this.#bytes -= existing.size
    const meta = { key, size, expiresAt, replicatedAt }
    this.#index.set(hex, meta)
    this.#bytes += size
    return meta
  }

  #remove(meta: RecordMeta): void {
    const hex = idKey(meta.key)
    if (this.#index.get(hex) !== meta) return
    this.#index.delete(hex)
    this.#bytes -= meta.size
  }
}
