/**
 * A Kademlia node: the public face of the core. It wires the routing table, the RPC layer, the
 * lookup and the records to a transport, and runs the maintenance timers.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { assertId, compareDistance, type Id, idEquals, randomIdInBucket, idKey, shortHex } from '../keyspace/id.ts'
import { PuzzleChecks } from '../keyspace/puzzle.ts'
import type { AbortSignalLike } from '../platform/platform.ts'
import { lookup, type LookupResult } from '../query/lookup.ts'
import type { LookupTrace } from '../query/trace.ts'
import { MemoryRecordStore } from '../records/record-store.ts'
import { Records } from '../records/records.ts'
import { handle, type HandlerContext } from '../rpc/handlers.ts'
import { type Outgoing, Rpc } from '../rpc/rpc.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import { type FailedResult, RoutingTable } from '../routing-table/routing-table.ts'
import type { DecodeFailure } from '../transport/transport.ts'
import {
  isRequest,
  MAX_CONTACTS_PER_MESSAGE,
  type Message,
  RemoteError,
  type Request,
  type Response,
  type StoreMode,
} from '../wire/messages.ts'
import { Emitter } from './emitter.ts'
import { Maintenance } from './maintenance.ts'
import { type NodeOptions, resolveTunables, type Tunables } from './options.ts'

export interface NodeEvents {
  /** A contact entered the routing table. */
  'peer:added': { id: Id }
  /** A contact left the routing table (failed, or replaced). */
  'peer:removed': { id: Id }
  /** This node now holds a record because `from` stored it here. */
  'record:stored': { key: Id; mode: StoreMode; from: Id }
  /** Input from a peer was rejected (malformed, unexpected, unknown type); the node carries on. */
  'input:rejected': { from: Id; error: DhtError }
}

export interface CallOptions {
  signal?: AbortSignalLike
}

export interface LookupCallOptions extends CallOptions {
  /** Disjoint paths of this call's lookup; default the node's `disjointPaths`. */
  paths?: number
}

export interface BootstrapOptions extends LookupCallOptions {
  /**
   * After the self-lookup, refresh every bucket farther than the closest neighbour (the paper's
   * join; default true). With false the far buckets fill from traffic and the refresh timer,
   * which makes a join about ten times cheaper (used to build 100,000-node simulations).
   */
  refreshBuckets?: boolean
}

export interface PutOptions extends LookupCallOptions {
  /** How long the record lives; default `recordTtlMs`. */
  ttlMs?: number
}

export interface PutResult {
  /** Nodes that confirmed the STORE (this node included if it is among the k closest). */
  holders: Id[]
  trace: LookupTrace
}

export interface GetResult {
  /** The value, or undefined if no node among the k closest holds it. */
  value: Uint8Array | undefined
  /** The node that answered with the value. */
  from: Id | undefined
  trace: LookupTrace
}

export interface FindNodeResult {
  /** The k closest live nodes to the target, closest first (this node not included). */
  closest: Id[]
  trace: LookupTrace
}

export interface NodeStats {
  peers: number
  records: number
  storedBytes: number
  published: number
  inflightRequests: number
  requestsSent: number
  requestsServed: number
  /**
   * Held records this node stored again on the current k closest because a contact among their
   * k closest left its routing table (one per record per churn pass; see `churnReplicateDelayMs`).
   */
  churnReplications: number
  /** Rejected input by error code. */
  rejected: Record<string, number>
}

export interface Published {
  key: Id
  value: Uint8Array
  ttlMs: number
}

export class KademliaNode extends Emitter<NodeEvents> {
  readonly id: Id
  readonly options: Tunables
  readonly table: RoutingTable
  readonly records: Records
  readonly #o: NodeOptions
  readonly #rpc: Rpc
  readonly #maintenance: Maintenance
  readonly #published = new Map<string, Published>()
  readonly #pinging = new Set<Contact>()
  readonly #rejected: Record<string, number> = {}
  readonly #handlerContext: HandlerContext
  readonly #puzzle: PuzzleChecks
  #running = false
  #inbound = 0
  #served = 0

  constructor(options: NodeOptions) {
    super()
    this.#o = options
    this.id = assertId(options.id, 'node id')
    this.options = resolveTunables({ ...options, idPuzzleBits: options.idPuzzleBits ?? options.transport.idPuzzleBits })
    this.#puzzle = new PuzzleChecks(this.options.idPuzzleBits)
    const { k, replacementCacheSize, staleLimit } = this.options
    this.table = new RoutingTable({ self: this.id, k, replacementCacheSize, staleLimit })
    this.records = new Records(options.store ?? new MemoryRecordStore(), this.options)
    this.#rpc = new Rpc({
      transport: options.transport,
      clock: options.clock,
      random: options.random,
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxInflightRequests: this.options.maxInflightRequests,
      onAnswer: (peer) => this.#heard(peer),
      onFailure: (peer, proven) => this.#failed(peer, proven),
    })
    this.#maintenance = new Maintenance(this, options.clock, options.random)
    this.#handlerContext = {
      table: this.table,
      records: this.records,
      now: () => this.now(),
      stored: (key, mode, from) => this.emit('record:stored', { key, mode, from }),
    }
  }

  get running(): boolean {
    return this.#running
  }

  /** Loads stored records, starts listening and starts the maintenance timers. */
  async start(): Promise<void> {
    if (this.#running) return
    await this.records.load(this.now())
    this.#o.transport.listen({
      onMessage: (from, message) => this.#onMessage(from, message),
      onInvalid: (from, failure) => this.#onInvalid(from, failure),
      onUndeliverable: (to, message) => {
        if (this.#running && isRequest(message)) this.#rpc.undeliverable(to, message.rid)
      },
    })
    this.#running = true
    this.#maintenance.start()
  }

  /** Stops timers, fails waiting requests with ERR_NOT_RUNNING and closes the transport. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#maintenance.stop()
    this.#rpc.cancelAll(new DhtError(ErrorCode.NOT_RUNNING, 'node stopped'))
    this.#o.transport.close()
  }

  /**
   * Joins the network through known nodes: pings them, looks up our own ID, then refreshes every
   * bucket farther than our closest neighbour. Resolves with the number of contacts afterwards.
   */
  async bootstrap(contacts: readonly Id[], options: BootstrapOptions = {}): Promise<number> {
    this.#assertRunning()
    const others = contacts
      .map((id) => assertId(id, 'bootstrap contact'))
      .filter((id) => !idEquals(id, this.id) && this.#solvesPuzzle(id))
    await Promise.allSettled(others.map((id) => this.ping(id, options)))
    if (this.table.size === 0) {
      throw new DhtError(ErrorCode.NO_PEERS, others.length === 0 ? 'no bootstrap contact solves the ID puzzle' : 'no bootstrap contact answered')
    }
    await this.findNode(this.id, options)
    if (options.refreshBuckets !== false) await this.refreshBuckets(0, options)
    return this.table.size
  }

  /** Refreshes buckets below our closest neighbour's not looked into for `olderThanMs`. */
  async refreshBuckets(olderThanMs: number, options: CallOptions = {}): Promise<void> {
    const now = this.now()
    const lookups: Promise<unknown>[] = []
    for (let index = 0; index < this.table.nearestBucket(); index++) {
      if (olderThanMs > 0 && now - this.table.lastLookup(index) < olderThanMs) continue
      // Maintenance: one path is enough to fill a bucket (a refresh learns from every answer).
      const target = randomIdInBucket(this.id, index, this.#o.random)
      lookups.push(this.findNode(target, { ...options, paths: 1 }).catch(() => undefined))
    }
    await Promise.all(lookups)
  }

  /** Sends a PING; resolves true if the peer answered. */
  async ping(peer: Id, options: CallOptions = {}): Promise<boolean> {
    this.#assertRunning()
    try {
      await this.#request(peer, { type: 'PING' }, options.signal)
      return true
    } catch {
      return false
    }
  }

  /** The k closest live nodes to `target`. */
  async findNode(target: Id, options: LookupCallOptions = {}): Promise<FindNodeResult> {
    const result = await this.#lookup(assertId(target, 'target'), 'node', options)
    this.#assertRunning()
    return { closest: result.closest, trace: result.trace }
  }

  /** Stores `value` under `key` on the k closest nodes (this one included if it is among them). */
  async put(key: Id, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#assertRunning()
    assertId(key, 'key')
    const ttlMs = options.ttlMs ?? this.options.recordTtlMs
    this.#checkValue(value, ttlMs)
    if (this.#published.size >= this.options.maxRecords && !this.#published.has(idKey(key))) {
      throw new DhtError(ErrorCode.STORAGE_FULL, `this node already republishes ${this.options.maxRecords} records; unpublish some`)
    }
    const { closest, trace } = await this.#lookup(key, 'node', options)
    const targets = [...closest, this.id].sort((a, b) => compareDistance(key, a, b)).slice(0, this.options.k)
    const holders = await this.storeAt(targets, key, value, ttlMs, 'publish')
    this.#assertRunning()
    if (holders.length === 0) throw new DhtError(ErrorCode.PUT_FAILED, 'no node accepted the value')
    this.#published.set(idKey(key), { key, value, ttlMs })
    return { holders, trace }
  }

  /** Finds the value stored under `key`: locally if this node holds it, else on the network. */
  async get(key: Id, options: LookupCallOptions = {}): Promise<GetResult> {
    this.#assertRunning()
    assertId(key, 'key')
    const local = await this.records.read(key, this.now())
    if (local !== undefined) return { value: local.value, from: this.id, trace: this.#emptyTrace(key) }
    const result = await this.#lookup(key, 'value', options)
    this.#assertRunning()
    const { found, closestWithoutValue } = result
    if (found !== undefined && found.ttlMs > 0 && closestWithoutValue !== undefined) {
      void this.storeAt([closestWithoutValue], key, found.value, found.ttlMs, 'cache')
    }
    return { value: found?.value, from: found?.from, trace: result.trace }
  }

  /** Sends STORE to each target (storing locally for our own ID); returns those that accepted. */
  async storeAt(targets: readonly Id[], key: Id, value: Uint8Array, ttlMs: number, mode: StoreMode): Promise<Id[]> {
    const outcomes = await Promise.allSettled(
      targets.map((id) =>
        idEquals(id, this.id)
          ? this.records.accept(key, value, ttlMs, mode, this.now())
          : this.#request(id, { type: 'STORE', key, value, ttlMs, mode }),
      ),
    )
    return targets.filter((_, i) => outcomes[i]!.status === 'fulfilled')
  }

  /** Runs one replication pass now (it also runs every `replicateIntervalMs`). */
  replicateNow(): Promise<void> {
    this.#assertRunning()
    return this.#maintenance.replicate()
  }

  /**
   * Removes `peer` from the routing table at once, for a peer known to be gone (its transport
   * connection closed, it said goodbye), instead of waiting for requests to it to time out.
   * A waiting replacement takes its place. Emits `peer:removed` (and `peer:added` for the
   * replacement). Returns whether the peer was in the table. The peer comes back as soon as it is
   * heard from again. Held records the peer was among the k closest for are replicated again
   * `churnReplicateDelayMs` later, as after a failed request.
   */
  forget(peer: Id): boolean {
    return this.#announceRemoval(peer, this.table.remove(assertId(peer, 'peer id')))
  }

  /** Records this node published and republishes. */
  published(): Published[] {
    return [...this.#published.values()]
  }

  /** Stops republishing `key` (its copies then expire with their TTL). */
  unpublish(key: Id): void {
    this.#published.delete(idKey(key))
  }

  stats(): NodeStats {
    return {
      peers: this.table.size,
      records: this.records.count,
      storedBytes: this.records.bytes,
      published: this.#published.size,
      inflightRequests: this.#rpc.inflight,
      requestsSent: this.#rpc.sent,
      requestsServed: this.#served,
      churnReplications: this.#maintenance.churnReplications,
      rejected: { ...this.#rejected },
    }
  }

  now(): number {
    return this.#o.clock.now()
  }

  #assertRunning(): void {
    if (!this.#running) throw new DhtError(ErrorCode.NOT_RUNNING, 'the node is not running; call start() first')
  }

  #checkValue(value: Uint8Array, ttlMs: number): void {
    if (!(value instanceof Uint8Array)) throw new DhtError(ErrorCode.INVALID_OPTION, 'a value is a Uint8Array')
    if (value.length > this.options.maxValueBytes) {
      throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `value of ${value.length} bytes exceeds the limit of ${this.options.maxValueBytes}`)
    }
    if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > this.options.maxTtlMs) {
      throw new DhtError(ErrorCode.INVALID_TTL, `ttl must be 1..${this.options.maxTtlMs} ms`)
    }
  }

  #request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response> {
    return this.#rpc.request(peer, request, signal)
  }

  async #lookup(target: Id, mode: 'node' | 'value', { signal, paths }: LookupCallOptions): Promise<LookupResult> {
    this.#assertRunning()
    const { k, alpha, maxLookupCandidates, disjointPaths, maxIntroducedPerPeer } = this.options
    if (paths !== undefined && (!Number.isInteger(paths) || paths < 1 || paths > MAX_CONTACTS_PER_MESSAGE)) {
      throw new DhtError(ErrorCode.INVALID_OPTION, `paths must be an integer from 1 to ${MAX_CONTACTS_PER_MESSAGE}`)
    }
    const seeds = this.table.closest(target, k)
    if (seeds.length === 0) throw new DhtError(ErrorCode.NO_PEERS, 'no peers yet: bootstrap first')
    this.table.markLookup(target, this.now())
    const type = mode === 'node' ? 'FIND_NODE' : 'FIND_VALUE'
    return lookup({
      target,
      self: this.id,
      seeds,
      k,
      alpha,
      paths: paths ?? disjointPaths,
      maxIntroducedPerPeer,
      maxCandidates: maxLookupCandidates,
      clock: this.#o.clock,
      signal,
      accept: this.options.idPuzzleBits > 0 ? (id) => this.#solvesPuzzle(id) : undefined,
      ask: (peer, count) =>
        this.#request(peer, type === 'FIND_NODE' ? { type, target, count } : { type, key: target, count }, signal),
    })
  }

  /** Whether `id` solves the network's ID puzzle (`idPuzzleBits`; O(1): one SHA-1 of 20 bytes, remembered). */
  #solvesPuzzle(id: Id): boolean {
    return this.#puzzle.solves(id)
  }

  #emptyTrace(target: Id): LookupTrace {
    const none = { rounds: 0, messages: 0, failures: 0, nodesAsked: 0, weakIds: 0, durationMs: 0 }
    return { target, ...none, paths: 0, ledAway: [], distinctValues: 1, pathsWithoutValue: 0, pathsUnfinished: 0, steps: [] }
  }

  #onMessage(from: Id, message: Message): void {
    if (!this.#running) return
    // The puzzle is checked once per peer: a contact in the table passed it when it was added.
    if (this.options.idPuzzleBits > 0 && !this.table.has(from) && !this.#solvesPuzzle(from)) {
      this.#reject(from, new DhtError(ErrorCode.WEAK_ID, `${shortHex(from)} does not solve the ID puzzle of ${this.options.idPuzzleBits} bits`))
      return
    }
    if (!isRequest(message)) {
      const error = this.#rpc.answer(from, message)
      if (error !== undefined) this.#reject(from, error)
      return
    }
    this.#heard(from)
    this.#serve(from, message)
  }

  #serve(from: Id, request: Request): void {
    const async = request.type === 'STORE' || request.type === 'FIND_VALUE'
    if (async && this.#inbound >= this.options.maxConcurrentInbound) {
      this.#o.transport.send(from, { type: 'ERROR', rid: request.rid, code: RemoteError.BUSY })
      return
    }
    this.#served++
    const response = handle(this.#handlerContext, from, request)
    if (!(response instanceof Promise)) return this.#o.transport.send(from, response)
    this.#inbound++
    response
      .then((answer) => {
        if (this.#running) this.#o.transport.send(from, answer)
      })
      .catch(() => {
        if (this.#running) this.#o.transport.send(from, { type: 'ERROR', rid: request.rid, code: RemoteError.BUSY })
      })
      .finally(() => this.#inbound--)
  }

  #onInvalid(from: Id, failure: DecodeFailure): void {
    if (!this.#running) return
    this.#reject(from, failure.error)
    if (failure.isRequest === true && failure.rid !== undefined) {
      this.#o.transport.send(from, { type: 'ERROR', rid: failure.rid, code: failure.remoteCode })
    }
  }

  #reject(from: Id, error: DhtError): void {
    this.#rejected[error.code] = (this.#rejected[error.code] ?? 0) + 1
    this.emit('input:rejected', { from, error })
  }

  /** A message from `peer` arrived: update the table, ping-before-evict, hand off records. */
  #heard(peer: Id): void {
    const result = this.table.heard(peer, this.now())
    if (result.kind === 'added') {
      this.emit('peer:added', { id: peer })
      this.#maintenance.handOff(peer)
    } else if (result.kind === 'full') {
      this.#pingOldest(result.oldest)
    }
  }

  #pingOldest(oldest: Contact): void {
    if (this.now() - oldest.lastSeen < this.options.evictionPingAfterMs) return
    if (this.#pinging.has(oldest) || this.#pinging.size >= this.options.maxEvictionPings) return
    this.#pinging.add(oldest)
    // The RPC hooks do the rest: an answer moves it to the fresh end, a timeout replaces it.
    void this.ping(oldest.id).finally(() => this.#pinging.delete(oldest))
  }

  #failed(peer: Id, proven: boolean): void {
    this.#announceRemoval(peer, this.table.failed(peer, { proven }))
  }

  /**
   * Emits the events of a table removal (and of the replacement it promoted), and marks the held
   * records the peer was among the k closest for, to replicate soon; true if removed.
   */
  #announceRemoval(peer: Id, result: FailedResult): boolean {
    if (result.kind !== 'removed') return false
    this.#maintenance.departed(peer, result.replacement?.id)
    this.emit('peer:removed', { id: peer })
    if (result.replacement !== undefined) this.emit('peer:added', { id: result.replacement.id })
    return true
  }
}
