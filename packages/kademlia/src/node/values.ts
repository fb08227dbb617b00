/**
 * Publishing and reading signed records (records/signed-record.ts) on the network: the node's
 * put, remove, get and their BEP 44 counterparts, the records this node republishes, and read
 * repair. The node (node.ts) hands in its lookup, its requests and its records.
 *
 * A put signs once and stores the same record on the k closest; republish, replication, hand-off
 * and read repair carry that record unchanged, so only its publisher can ever make a new one.
 * A get asks until `getQuorum` holders answered (this node counts, if it holds the key), checks
 * every record (forged ones are dropped and counted), keeps the newest of each slot, and stores it
 * back on the k closest that answered without it or with an older one.
 */
import { DhtError, ErrorCode, isDhtError } from '../errors.ts'
import { type Signer, type Verify } from '../keyspace/ed25519.ts'
import { compareDistance, type Id, idEquals, idKey } from '../keyspace/id.ts'
import { BoundedMap } from '../platform/bounded-map.ts'
import type { AbortSignalLike } from '../platform/platform.ts'
import type { Finding, LookupResult } from '../query/lookup.ts'
import { emptyTrace, type LookupTrace } from '../query/trace.ts'
import { bencodedLength, immutableKey, MAX_BENCODED_VALUE_BYTES, mutableKey } from '../records/bep44.ts'
import { CheckedRecords } from '../records/checked-records.ts'
import type { Records } from '../records/records.ts'
import {
  immutableRecord,
  type MutableRecord,
  publisherOf,
  seqOf,
  signMutable,
  signNamed,
  type SignedRecord,
  slotOf,
} from '../records/signed-record.ts'
import type { Outgoing } from '../rpc/rpc.ts'
import { errorOfRemote, type Response, type StoreMode, type TimedRecord } from '../wire/messages.ts'
import type { Tunables } from './options.ts'

export interface CallOptions {
  signal?: AbortSignalLike
}

export interface LookupCallOptions extends CallOptions {
  /** Disjoint paths of this call's lookup; default the node's `disjointPaths`. */
  paths?: number
}

export interface PutOptions extends LookupCallOptions {
  /** How long the record lives; default `recordTtlMs`. */
  ttlMs?: number
}

export interface MutablePutOptions extends PutOptions {
  salt?: Uint8Array
  /** Default: one above the highest seq this node used for the item, or the clock's milliseconds. */
  seq?: number
  /** Store only where the held item's seq is this one (BEP 44 compare-and-swap). */
  cas?: number
}

export interface GetOptions extends LookupCallOptions {
  /** Holders to hear from; default `getQuorum`. */
  quorum?: number
}

export interface PutResult {
  /** Nodes that confirmed the STORE (this node included if it is among the k closest). */
  holders: Id[]
  /** The record as stored: the proof anyone can check. */
  record: SignedRecord
  /** The key it lives under. */
  key: Id
  trace: LookupTrace
}

/** One publisher's current value under a name. */
export interface NamedValue {
  /** SHA-1 of the publisher's key: the node ID of the node that published it. */
  publisher: Id
  publicKey: Uint8Array
  value: Uint8Array
  seq: number
  /** Published by this node. */
  own: boolean
}

export interface GetResult {
  /** Every publisher's current value, newest seq first (removed ones left out). */
  values: NamedValue[]
  /** The newest value (`values[0]`), or undefined when nobody's is there. */
  value: Uint8Array | undefined
  /** A holder that answered with that newest value. */
  from: Id | undefined
  /** The newest record of each slot found, checked: named, mutable and immutable alike. */
  records: TimedRecord[]
  trace: LookupTrace
}

export interface MutableGetResult {
  item: (MutableRecord & { key: Id }) | undefined
  from: Id | undefined
  trace: LookupTrace
}

export interface ImmutableGetResult {
  value: Uint8Array | undefined
  from: Id | undefined
  trace: LookupTrace
}

/** A record this node published, and republishes every `republishIntervalMs`. */
export interface Published {
  key: Id
  record: SignedRecord
  ttlMs: number
}

export interface ValuesHost {
  readonly id: Id
  readonly options: Tunables
  readonly records: Records
  readonly signer: Signer | undefined
  readonly verify: Verify
  now(): number
  lookup(target: Id, mode: 'node' | 'value', options: GetOptions, ask?: (peer: Id, response: Response) => Promise<Response>): Promise<LookupResult>
  request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response>
  hasPeers(): boolean
  /** Throws ERR_NOT_RUNNING once the node has stopped (an operation in flight ends with it). */
  assertRunning(): void
}

export class Values {
  readonly #host: ValuesHost
  readonly #published = new Map<string, Published>()
  /** Records a read found valid lately: the same bytes again are not checked again. */
  readonly #checked = new CheckedRecords()
  /** The last seq this node signed per key and kind (a removed value's tombstone included). */
  readonly #seqs: BoundedMap<number>

  constructor(host: ValuesHost) {
    this.#host = host
    this.#seqs = new BoundedMap(host.options.maxRecords)
  }

  /** Publishes `value` under `key` as this node's named value (a new seq: it replaces this node's older one). */
  async put(key: Id, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const ttlMs = this.#ttl(options)
    this.#checkValue(value)
    const record = await signNamed(this.#signer(), key, this.#nextSeq(key, 'named'), value)
    return this.#publish(key, record, ttlMs, options)
  }

  /** Removes this node's named value under `key`: a signed tombstone that outlives every copy of the value. */
  async remove(key: Id, options: LookupCallOptions = {}): Promise<PutResult> {
    const record = await signNamed(this.#signer(), key, this.#nextSeq(key, 'named'), undefined)
    const result = await this.#publish(key, record, this.#host.options.maxTtlMs, options)
    // Nothing to republish: any copy of the value expires within maxTtlMs, and so does this.
    this.#published.delete(idKey(key))
    return result
  }

  /** Publishes a BEP 44 mutable item signed by this node, under `mutableKey(publicKey, salt)`. */
  async putMutable(value: Uint8Array, options: MutablePutOptions = {}): Promise<PutResult> {
    const ttlMs = this.#ttl(options)
    this.#checkValue(value)
    if (bencodedLength(value.length) > MAX_BENCODED_VALUE_BYTES) {
      throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `a mutable item's value bencodes to at most ${MAX_BENCODED_VALUE_BYTES} bytes (BEP 44)`)
    }
    const key = mutableKey(this.#signer().publicKey, options.salt)
    const record = await signMutable(this.#signer(), { salt: options.salt, seq: options.seq ?? this.#nextSeq(key, 'mutable'), value })
    return this.#publish(key, record, ttlMs, options, options.cas)
  }

  /** Publishes a BEP 44 immutable item under `immutableKey(value)`. */
  async putImmutable(value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const ttlMs = this.#ttl(options)
    this.#checkValue(value)
    return this.#publish(immutableKey(value), immutableRecord(value), ttlMs, options)
  }

  /** Every publisher's current value under `key`, newest first (see GetResult). */
  async get(key: Id, options: GetOptions = {}): Promise<GetResult> {
    const { records, from, trace } = await this.#read(key, options)
    const named = records.flatMap(({ record }) => (record.kind === 'named' && !record.tombstone ? [record] : [])).sort((a, b) => b.seq - a.seq)
    const values = named.map((record) => ({ publisher: publisherOf(record)!, publicKey: record.publicKey, value: record.value, seq: record.seq, own: this.#isOwn(record) }))
    const newest = named[0]
    return { values, value: newest?.value, from: newest === undefined ? undefined : from.get(slotOf(newest)), records, trace }
  }

  /** The newest mutable item under `mutableKey(publicKey, salt)`. */
  async getMutable(publicKey: Uint8Array, salt?: Uint8Array, options: GetOptions = {}): Promise<MutableGetResult> {
    const key = mutableKey(publicKey, salt)
    const { records, from, trace } = await this.#read(key, options)
    const found = records.find(({ record }) => record.kind === 'mutable')?.record as MutableRecord | undefined
    return { item: found === undefined ? undefined : { ...found, key }, from: found === undefined ? undefined : from.get(slotOf(found)), trace }
  }

  /** The immutable item under `key` (its content hash), checked against it. */
  async getImmutable(key: Id, options: GetOptions = {}): Promise<ImmutableGetResult> {
    const { records, from, trace } = await this.#read(key, options)
    const found = records.find(({ record }) => record.kind === 'immutable')?.record
    return { value: found?.value, from: found === undefined ? undefined : from.get('i'), trace }
  }

  /** Sends `record` to each target (storing it here for this node's own ID); returns those that accepted, and why the others refused. */
  async storeAt(targets: readonly Id[], key: Id, record: SignedRecord, ttlMs: number, mode: StoreMode, cas?: number): Promise<{ holders: Id[]; refusals: ErrorCode[] }> {
    const host = this.#host
    const outcomes = await Promise.allSettled(
      targets.map((id) =>
        idEquals(id, host.id)
          ? host.records.accept({ key, record, ttlMs, mode, cas, now: host.now() })
          : host.request(id, { type: 'STORE', key, record, ttlMs, mode, ...(cas === undefined ? {} : { cas }) }).catch((error: unknown) => {
              // A holder's refusal comes back as ERR_REMOTE_ERROR: name it by what the holder said.
              const refusal = isDhtError(error, ErrorCode.REMOTE_ERROR) && error.remoteCode !== undefined ? errorOfRemote(error.remoteCode) : undefined
              throw refusal === undefined ? error : new DhtError(refusal, `the holder refused: ${refusal}`, { remoteCode: (error as DhtError).remoteCode })
            }),
      ),
    )
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' && isDhtError(outcome.reason) ? [outcome.reason.code] : []))
    return { holders: targets.filter((_, i) => outcomes[i]!.status === 'fulfilled'), refusals }
  }

  /** Records this node published and republishes. */
  published(): Published[] {
    return [...this.#published.values()]
  }

  /** Takes over a record this node published earlier (restored after a reload), to republish it. */
  adopt(published: Published): void {
    this.#remember(published)
  }

  /** Stops republishing `key` (its copies then expire with their TTL). */
  unpublish(key: Id): void {
    this.#published.delete(idKey(key))
  }

  /** Stores every published record again, unchanged, on the current k closest (its TTL refreshed). */
  async republish(published: Published): Promise<void> {
    await this.#publish(published.key, published.record, published.ttlMs, { paths: 1 })
  }

  /**
   * Checks the records of a VALUE answer before a lookup counts it: forged, misplaced or weak ones
   * are dropped (and counted); an answer with none left is taken as the NODES it also carries.
   */
  async checkAnswer(key: Id, response: Response, counts: { invalid: number }): Promise<Response> {
    if (response.type !== 'VALUE') return response
    const check = { verify: this.#host.verify, maxValueBytes: this.#host.options.maxValueBytes, puzzleBits: this.#host.options.idPuzzleBits }
    const valid: TimedRecord[] = []
    for (const timed of response.records) {
      if ((await this.#checked.check(key, timed.record, check)) && valid.every((v) => slotOf(v.record) !== slotOf(timed.record))) valid.push(timed)
      else counts.invalid++
    }
    return valid.length > 0 ? { ...response, records: valid } : { type: 'NODES', rid: response.rid, nodes: response.nodes }
  }

  async #publish(key: Id, record: SignedRecord, ttlMs: number, options: LookupCallOptions, cas?: number): Promise<PutResult> {
    const host = this.#host
    const fresh = !this.#published.has(idKey(key))
    if (fresh && this.#published.size >= host.options.maxRecords) {
      throw new DhtError(ErrorCode.STORAGE_FULL, `this node already republishes ${host.options.maxRecords} records; unpublish some`)
    }
    const { closest, trace } = await host.lookup(key, 'node', options)
    host.assertRunning()
    const targets = [...closest, host.id].sort((a, b) => compareDistance(key, a, b)).slice(0, host.options.k)
    const { holders, refusals } = await this.storeAt(targets, key, record, ttlMs, 'publish', cas)
    host.assertRunning()
    if (holders.length === 0) throw refusalOf(refusals)
    this.#remember({ key, record, ttlMs })
    return { holders, record, key, trace }
  }

  async #read(key: Id, options: GetOptions): Promise<{ records: TimedRecord[]; from: Map<string, Id>; trace: LookupTrace }> {
    const host = this.#host
    const quorum = options.quorum ?? host.options.getQuorum
    const local = host.records.read(key, host.now())
    const findings: Finding[] = local.length > 0 ? [{ from: host.id, records: local, path: -1 }] : []
    // Alone with a copy: that is all there is to read (with no copy the lookup says ERR_NO_PEERS).
    if (!host.hasPeers() && findings.length > 0) return { ...merge(findings), trace: emptyTrace(key) }
    const counts = { invalid: 0 }
    const result = await host.lookup(key, 'value', { ...options, quorum: Math.max(1, quorum - findings.length) }, (_peer, response) => this.checkAnswer(key, response, counts))
    host.assertRunning()
    findings.push(...result.findings)
    const merged = merge(findings)
    const trace = { ...result.trace, invalidRecords: counts.invalid, staleAnswers: merged.stale.length, repaired: 0 }
    trace.repaired = this.#repair(key, merged.records, findings, result.closest)
    return { records: merged.records, from: merged.from, trace }
  }

  /**
   * Read repair: stores the newest record of each slot on the nodes that answered without it or
   * with an older one, among the k closest that answered: those no farther from the key than the
   * farthest holder heard (the holders' region), and the closest one beyond it (a holder that lost
   * its copy, or the next in line, as Kademlia caches a found value). A get does not scatter
   * copies on its way: at most k × slots STOREs, not awaited.
   */
  #repair(key: Id, newest: readonly TimedRecord[], findings: readonly Finding[], closest: readonly Id[]): number {
    const remote = findings.filter((f) => !idEquals(f.from, this.#host.id))
    if (remote.length === 0) return 0
    const farthest = remote.map((f) => f.from).reduce((a, b) => (compareDistance(key, a, b) >= 0 ? a : b))
    let sent = 0
    let beyond = false
    for (const node of [...closest].sort((a, b) => compareDistance(key, a, b))) {
      if (compareDistance(key, node, farthest) > 0) {
        if (beyond || findings.some((f) => idEquals(f.from, node))) continue
        beyond = true
      }
      const answer = findings.find((f) => idEquals(f.from, node))
      for (const { record, ttlMs } of newest) {
        if (ttlMs <= 0) continue
        const theirs = answer?.records.find((r) => slotOf(r.record) === slotOf(record))
        if (theirs !== undefined && seqOf(theirs.record) >= seqOf(record)) continue
        sent++
        void this.storeAt([node], key, record, ttlMs, 'cache')
      }
    }
    return sent
  }

  #remember(published: Published): void {
    this.#published.set(idKey(published.key), published)
    const { record } = published
    if (record.kind === 'immutable') return
    const seqKey = `${record.kind}:${idKey(published.key)}`
    this.#seqs.remember(seqKey, Math.max(record.seq, this.#seqs.get(seqKey) ?? -1))
  }

  #isOwn(record: SignedRecord): boolean {
    const signer = this.#host.signer
    return signer !== undefined && record.kind !== 'immutable' && idEquals(record.publicKey, signer.publicKey)
  }

  /** A seq above this node's last for the key, and at least the clock's milliseconds. */
  #nextSeq(key: Id, kind: 'named' | 'mutable'): number {
    return Math.max(Math.floor(this.#host.now()), (this.#seqs.get(`${kind}:${idKey(key)}`) ?? -1) + 1)
  }

  #signer(): Signer {
    const signer = this.#host.signer
    if (signer === undefined) throw new DhtError(ErrorCode.INVALID_OPTION, 'this node has no signer: pass `signer` to publish signed records')
    return signer
  }

  #ttl(options: PutOptions): number {
    const ttlMs = options.ttlMs ?? this.#host.options.recordTtlMs
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > this.#host.options.maxTtlMs) {
      throw new DhtError(ErrorCode.INVALID_TTL, `ttl must be 1..${this.#host.options.maxTtlMs} ms`)
    }
    return ttlMs
  }

  #checkValue(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new DhtError(ErrorCode.INVALID_OPTION, 'a value is a Uint8Array')
    if (value.length > this.#host.options.maxValueBytes) {
      throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `value of ${value.length} bytes exceeds the limit of ${this.#host.options.maxValueBytes}`)
    }
  }
}

/**
 * The newest record of each slot among the holders' answers (ties: the first answer), with the
 * holder that gave it, and the answers that were stale for some slot.
 */
function merge(findings: readonly Finding[]): { records: TimedRecord[]; from: Map<string, Id>; stale: Finding[] } {
  const best = new Map<string, TimedRecord>()
  const from = new Map<string, Id>()
  for (const finding of findings) {
    for (const timed of finding.records) {
      const slot = slotOf(timed.record)
      const held = best.get(slot)
      if (held === undefined || seqOf(timed.record) > seqOf(held.record)) {
        best.set(slot, timed)
        from.set(slot, finding.from)
      }
    }
  }
  const records = [...best.values()].sort((a, b) => seqOf(b.record) - seqOf(a.record))
  const stale = findings.filter((f) => records.some(({ record }) => !f.records.some((r) => slotOf(r.record) === slotOf(record) && seqOf(r.record) >= seqOf(record))))
  return { records, from, stale }
}

/** The error a put throws when no holder took the record: the most common refusal. */
function refusalOf(refusals: readonly ErrorCode[]): DhtError {
  const counts = new Map<ErrorCode, number>()
  for (const code of refusals) counts.set(code, (counts.get(code) ?? 0) + 1)
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]
  if (top === undefined) return new DhtError(ErrorCode.PUT_FAILED, 'no node accepted the value')
  return new DhtError(top[0], `no node accepted the value: ${top[0]}`)
}
