/**
 * The records a node holds for others, and the rules for taking one (STORE) — the holder's side
 * of signed records (signed-record.ts):
 *
 * - a record proves itself before it is kept: its key binding, publisher puzzle and signature;
 * - a key holds one record per slot (one per named publisher, up to `maxPublishersPerKey`; one
 *   mutable; one immutable). A slot changes only to a higher seq (so only its publisher can change
 *   it); the very same record again only refreshes its expiry; a mutable put with `cas` needs the
 *   held seq to be `cas`. Nobody can evict another publisher's record;
 * - a STORE never shortens a record's life: expiry = max(held, now + ttl);
 * - records are taken only where they belong (`belongs`: this node is among the closest it knows
 *   to the key), within a per-sender quota (`maxRecordsPerSender`) and a per-sender budget of
 *   signature checks (`recordChecksPerSecond`);
 * - when the budget (`maxRecords` keys, `maxStoredBytes`) is full, the keys this node is farthest
 *   from make room for a closer one; a key farther than all of them is refused.
 *
 * Every refusal is a DhtError with its own code, and is counted (`refused`). Records are kept in
 * memory (within the byte budget) and written through to the RecordStore, one stored value per
 * key (record-codec.ts's stored set); `load` checks each one read back, as it would a STORE.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { compareDistance, type Id, idKey } from '../keyspace/id.ts'
import { BoundedMap } from '../platform/bounded-map.ts'
import { TokenBucket } from '../platform/token-bucket.ts'
import type { StoreMode, TimedRecord } from '../wire/messages.ts'
import { decodeStoredSet, encodeStoredSet, type StoredEntry } from '../wire/record-codec.ts'
import type { RecordStore } from './record-store.ts'
import { type CheckOptions, checkRecord, precheckRecord, recordSize, sameRecord, seqOf, type SignedRecord, slotOf } from './signed-record.ts'

export interface RecordLimits {
  maxValueBytes: number
  /** Keys held at most. */
  maxRecords: number
  maxStoredBytes: number
  maxTtlMs: number
  maxPublishersPerKey: number
  maxRecordsPerSender: number
  /** Signature checks a second per sender (burst: twice as many). */
  recordChecksPerSecond: number
}

/** Senders whose budget of signature checks is remembered (the least recently active forgotten). */
export const CHECK_BUDGETS_REMEMBERED = 4096

export interface RecordsOptions {
  self: Id
  limits: RecordLimits
  check: Omit<CheckOptions, 'maxValueBytes'>
  /** Whether this node is close enough to `key` to hold it (among the closest it knows, with slack). */
  belongs(key: Id): boolean
  /** The clock, for the senders' budgets of signature checks. */
  now(): number
}

/** What the node tracks of one key, without reading storage. */
export interface RecordMeta {
  readonly key: Id
  /** Bytes its records take against `maxStoredBytes`. */
  size: number
  /** The latest expiry of its records. */
  expiresAt: number
  /** Clock time a replicate STORE for this key last arrived (0 if never). */
  replicatedAt: number
}

interface Held extends StoredEntry {
  readonly slot: string
  /** `idKey` of the node whose STORE brought it (undefined: this node's own publish). */
  sender: string | undefined
}

interface KeyEntry extends RecordMeta {
  readonly hex: string
  held: Held[]
}

export interface StoreRequest {
  key: Id
  record: SignedRecord
  ttlMs: number
  mode: StoreMode
  /** BEP 44 compare-and-swap (a publish of a mutable item). */
  cas?: number | undefined
  /** The node that sent the STORE (undefined: this node's own). */
  from?: Id | undefined
  now: number
}

export type AcceptOutcome = 'stored' | 'kept'

export class Records {
  readonly #o: RecordsOptions
  readonly #index = new Map<string, KeyEntry>()
  readonly #perSender = new Map<string, number>()
  readonly #checkBudgets = new BoundedMap<TokenBucket>(CHECK_BUDGETS_REMEMBERED)
  /** Writes per key in order (a write holds the key's whole set). */
  readonly #writes = new Map<string, Promise<void>>()
  readonly refused: Partial<Record<ErrorCode, number>> = {}
  #bytes = 0
  /** The node stopped: no STORE is taken any more, not even one whose signature was being checked. */
  #stopped = false

  constructor(
    readonly store: RecordStore,
    options: RecordsOptions,
  ) {
    this.#o = options
  }

  get limits(): RecordLimits {
    return this.#o.limits
  }

  /**
   * Reads every stored set back, checking each record as a STORE would (storage is as untrusted
   * as the network): expired, malformed or unproven records are dropped and the set rewritten.
   * Returns how many records were dropped.
   */
  async load(now: number): Promise<number> {
    let dropped = 0
    for (const stored of await this.store.all()) {
      const entries = decodeStoredSet(stored.value, this.#o.limits.maxValueBytes) ?? []
      const kept: StoredEntry[] = []
      for (const entry of entries) {
        const valid = entry.expiresAt > now && (await checkRecord(stored.key, entry.record, this.#checkOptions)).ok
        if (valid && kept.every((k) => slotOf(k.record) !== slotOf(entry.record))) kept.push(entry)
      }
      dropped += Math.max(0, entries.length - kept.length) + (entries.length === 0 ? 1 : 0)
      const fits = kept.length > 0 && this.#index.size < this.#o.limits.maxRecords
      const size = kept.reduce((sum, { record }) => sum + recordSize(record), 0)
      if (!fits || this.#bytes + size > this.#o.limits.maxStoredBytes) {
        await this.store.delete(stored.key)
        continue
      }
      const entry = this.#entry(stored.key, true)!
      for (const { record, expiresAt } of kept) this.#put(entry, { record, expiresAt, slot: slotOf(record), sender: undefined })
      if (kept.length !== entries.length) await this.#write(entry)
    }
    return dropped
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

  /** Every key with a live record. */
  metas(now: number): RecordMeta[] {
    return [...this.#index.values()].filter((meta) => meta.expiresAt > now)
  }

  /** The live records under `key`, newest seq first, with their remaining TTL. */
  read(key: Id, now: number): TimedRecord[] {
    const entry = this.#index.get(idKey(key))
    if (entry === undefined) return []
    return entry.held
      .filter((h) => h.expiresAt > now)
      .sort((a, b) => seqOf(b.record) - seqOf(a.record))
      .map((h) => ({ record: h.record, ttlMs: Math.ceil(h.expiresAt - now) }))
  }

  /**
   * The node stopped: every STORE from now on is refused with ERR_NOT_RUNNING, those still
   * waiting for their signature check included, so nothing reaches the store after the node (and
   * then its store) closed.
   */
  stop(): void {
    this.#stopped = true
  }

  /** Applies a STORE (see the file comment). Resolves once the record is durable; throws a DhtError with the refusal's code. */
  async accept(request: StoreRequest): Promise<AcceptOutcome> {
    try {
      return await this.#accept(request)
    } catch (error) {
      if (error instanceof DhtError) this.refused[error.code] = (this.refused[error.code] ?? 0) + 1
      throw error
    }
  }

  async #accept({ key, record, ttlMs, mode, cas, from, now }: StoreRequest): Promise<AcceptOutcome> {
    const { limits } = this.#o
    if (this.#stopped) refuse(ErrorCode.NOT_RUNNING, 'the node stopped')
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > limits.maxTtlMs) refuse(ErrorCode.INVALID_TTL, `ttl must be 1..${limits.maxTtlMs} ms`)
    // Cheap checks first: shape and key binding, where it belongs, the slot's seq, the quota, room.
    const pre = precheckRecord(key, record, this.#checkOptions)
    if (!pre.ok) refuse(pre.code, 'the record does not hold')
    if (from !== undefined && !this.#o.belongs(key)) refuse(ErrorCode.NOT_CLOSE, 'this node knows closer nodes to the key')
    const expiresAt = now + ttlMs
    const decision = this.#decide(key, record, mode, cas, from, now)
    if (decision === 'same') {
      const entry = this.#index.get(idKey(key))!
      // Another holder handed this record on: a replication pass here can skip it.
      if (mode === 'replicate') entry.replicatedAt = now
      const held = this.#slot(key, slotOf(record))!
      if (expiresAt <= held.expiresAt) return 'kept'
      held.expiresAt = expiresAt
      this.#refreshMeta(entry)
      await this.#write(entry)
      return 'kept'
    }
    if (from !== undefined && !this.#checkBudget(from).take()) refuse(ErrorCode.RATE_LIMITED, 'the sender is over its budget of signature checks')
    const checked = await checkRecord(key, record, this.#checkOptions)
    if (this.#stopped) refuse(ErrorCode.NOT_RUNNING, 'the node stopped while the record was checked')
    if (!checked.ok) refuse(checked.code, 'the record is not its publisher’s')
    // Decide again: another STORE for this slot may have landed while the signature was checked.
    if (this.#decide(key, record, mode, cas, from, now) === 'same') return 'kept'
    const previous = this.#slot(key, slotOf(record))
    this.#makeRoom(key, recordSize(record) - (previous === undefined ? 0 : recordSize(previous.record)), now)
    const entry = this.#entry(key, true)!
    this.#put(entry, { record, slot: slotOf(record), expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0), sender: from === undefined ? undefined : idKey(from) })
    const replicatedAt = entry.replicatedAt
    if (mode === 'replicate') entry.replicatedAt = now
    try {
      await this.#write(entry)
    } catch (error) {
      // Storage refused: hold what was held before, as the store still has it.
      this.#restore(entry, slotOf(record), previous)
      entry.replicatedAt = replicatedAt
      throw error
    }
    return 'stored'
  }

  /** 'same' (only a refresh), 'new' (store it), or throws the refusal. Synchronous: no state changes. */
  #decide(key: Id, record: SignedRecord, mode: StoreMode, cas: number | undefined, from: Id | undefined, now: number): 'same' | 'new' {
    const { limits } = this.#o
    const entry = this.#index.get(idKey(key))
    const slot = slotOf(record)
    const held = entry?.held.find((h) => h.slot === slot && h.expiresAt > now)
    if (held !== undefined) {
      if (sameRecord(held.record, record)) return 'same'
      if (seqOf(record) <= seqOf(held.record)) refuse(ErrorCode.SEQ_TOO_LOW, `seq ${seqOf(record)} is not above the held ${seqOf(held.record)}`)
    }
    if (record.kind === 'mutable' && cas !== undefined && mode === 'publish' && held !== undefined && seqOf(held.record) !== cas) {
      refuse(ErrorCode.CAS_MISMATCH, `cas ${cas} is not the held seq ${seqOf(held.record)}`)
    }
    if (held === undefined && record.kind === 'named') {
      const publishers = entry?.held.filter((h) => h.record.kind === 'named' && h.expiresAt > now && h.slot !== slot).length ?? 0
      if (publishers >= limits.maxPublishersPerKey) refuse(ErrorCode.KEY_FULL, `the key holds ${limits.maxPublishersPerKey} publishers' values`)
    }
    if (held === undefined && from !== undefined && (this.#perSender.get(idKey(from)) ?? 0) >= limits.maxRecordsPerSender) {
      refuse(ErrorCode.SENDER_QUOTA, `the sender has ${limits.maxRecordsPerSender} records here`)
    }
    return 'new'
  }

  /**
   * Frees room for `extra` bytes (and a new key, if `key` is not held) by dropping the keys this
   * node is farthest from, as long as they are farther than `key`; else refuses STORAGE_FULL.
   */
  #makeRoom(key: Id, extra: number, now: number): void {
    const { limits, self } = this.#o
    const isNew = !this.#index.has(idKey(key))
    const full = (): boolean => this.#bytes + extra > limits.maxStoredBytes || (isNew && this.#index.size >= limits.maxRecords)
    while (full()) {
      let farthest: KeyEntry | undefined
      for (const entry of this.#index.values()) {
        if (entry.expiresAt <= now) {
          farthest = entry
          break
        }
        if (farthest === undefined || compareDistance(self, entry.key, farthest.key) > 0) farthest = entry
      }
      if (farthest === undefined || (farthest.expiresAt > now && compareDistance(self, farthest.key, key) <= 0)) {
        refuse(ErrorCode.STORAGE_FULL, 'this node holds as many records as it may, all closer to it than this one')
      }
      this.#drop(farthest)
      void this.#queueWrite(farthest.hex, () => this.store.delete(farthest.key))
    }
  }

  /** Deletes every record whose TTL has run out; returns how many. */
  async expire(now: number): Promise<number> {
    let expired = 0
    for (const entry of [...this.#index.values()]) {
      const live = entry.held.filter((h) => h.expiresAt > now)
      if (live.length === entry.held.length) continue
      expired += entry.held.length - live.length
      for (const h of entry.held) if (h.expiresAt <= now) this.#unaccount(h)
      entry.held = live
      this.#refreshMeta(entry)
      if (live.length === 0) this.#index.delete(entry.hex)
      await this.#write(entry)
    }
    return expired
  }

  get #checkOptions(): CheckOptions {
    return { ...this.#o.check, maxValueBytes: this.#o.limits.maxValueBytes }
  }

  #checkBudget(from: Id): TokenBucket {
    const sender = idKey(from)
    let bucket = this.#checkBudgets.get(sender)
    if (bucket === undefined) {
      const perSecond = this.#o.limits.recordChecksPerSecond
      bucket = new TokenBucket({ burst: 2 * perSecond, perSecond, now: this.#o.now })
    }
    this.#checkBudgets.remember(sender, bucket)
    return bucket
  }

  #slot(key: Id, slot: string): Held | undefined {
    return this.#index.get(idKey(key))?.held.find((h) => h.slot === slot)
  }

  #entry(key: Id, create: boolean): KeyEntry | undefined {
    const hex = idKey(key)
    let entry = this.#index.get(hex)
    if (entry === undefined && create) {
      entry = { key, hex, held: [], size: 0, expiresAt: 0, replicatedAt: 0 }
      this.#index.set(hex, entry)
    }
    return entry
  }

  /** Puts `held` in its slot (replacing what was there), keeping the byte and sender counts. */
  #put(entry: KeyEntry, held: Held): void {
    const at = entry.held.findIndex((h) => h.slot === held.slot)
    if (at >= 0) {
      this.#unaccount(entry.held[at]!)
      entry.held.splice(at, 1)
    }
    entry.held.push(held)
    this.#bytes += recordSize(held.record)
    if (held.sender !== undefined) this.#perSender.set(held.sender, (this.#perSender.get(held.sender) ?? 0) + 1)
    this.#refreshMeta(entry)
  }

  #restore(entry: KeyEntry, slot: string, previous: Held | undefined): void {
    if (previous !== undefined) return this.#put(entry, previous)
    const at = entry.held.findIndex((h) => h.slot === slot)
    if (at >= 0) this.#unaccount(entry.held.splice(at, 1)[0]!)
    this.#refreshMeta(entry)
    if (entry.held.length === 0 && this.#index.get(entry.hex) === entry) this.#index.delete(entry.hex)
  }

  #unaccount(held: Held): void {
    this.#bytes -= recordSize(held.record)
    if (held.sender === undefined) return
    const count = (this.#perSender.get(held.sender) ?? 1) - 1
    if (count <= 0) this.#perSender.delete(held.sender)
    else this.#perSender.set(held.sender, count)
  }

  #drop(entry: KeyEntry): void {
    for (const held of entry.held) this.#unaccount(held)
    entry.held = []
    this.#index.delete(entry.hex)
  }

  #refreshMeta(entry: KeyEntry): void {
    entry.size = entry.held.reduce((sum, h) => sum + recordSize(h.record), 0)
    entry.expiresAt = entry.held.reduce((max, h) => Math.max(max, h.expiresAt), 0)
  }

  /** Writes the key's set as it stands (or deletes it when empty), after earlier writes of the key. */
  #write(entry: KeyEntry): Promise<void> {
    return this.#queueWrite(entry.hex, () => {
      if (this.#index.get(entry.hex) !== entry || entry.held.length === 0) return this.store.delete(entry.key)
      return this.store.put({ key: entry.key, value: encodeStoredSet(entry.held), expiresAt: entry.expiresAt })
    })
  }

  #queueWrite(hex: string, write: () => Promise<void>): Promise<void> {
    const before = this.#writes.get(hex) ?? Promise.resolve()
    const done = before.catch(() => undefined).then(write)
    const settled = done.catch(() => undefined)
    this.#writes.set(hex, settled)
    void settled.then(() => {
      if (this.#writes.get(hex) === settled) this.#writes.delete(hex)
    })
    return done
  }
}

function refuse(code: ErrorCode, message: string): never {
  throw new DhtError(code, message)
}
