/**
 * A Kademlia node: the public face of the core. It wires the routing table, the RPC layer, the
 * lookups and the records to a transport, and runs the maintenance timers. Publishing and reading
 * signed records is values.ts's part; how lookups are seeded and sent, lookups.ts's.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { lazyVerify } from '../keyspace/ed25519.ts'
import { assertId, compareDistance, type Id, idEquals, shortHex } from '../keyspace/id.ts'
import { PuzzleChecks } from '../keyspace/puzzle.ts'
import { MemoryRecordStore } from '../records/record-store.ts'
import { Records } from '../records/records.ts'
import type { SignedRecord } from '../records/signed-record.ts'
import { Server } from '../rpc/server.ts'
import { Rpc } from '../rpc/rpc.ts'
import { RoutingTable } from '../routing-table/routing-table.ts'
import type { DecodeFailure } from '../transport/transport.ts'
import {
  isRequest,
  type Message,
  type StoreMode,
} from '../wire/messages.ts'
import { Emitter } from './emitter.ts'
import { Liveness } from './liveness.ts'
import type { BootstrapOptions, FindNodeResult, NodeEvents, NodeStats } from './node-types.ts'
import { Maintenance } from './maintenance.ts'
import { Lookups } from './lookups.ts'
import { type NodeOptions, resolveTunables, type Tunables, wireLimits } from './options.ts'
import {
  type CallOptions,
  type GetOptions,
  type GetResult,
  type ImmutableGetResult,
  type LookupCallOptions,
  type MutableGetResult,
  type MutablePutOptions,
  type Published,
  type PutOptions,
  type PutResult,
  Values,
} from './values.ts'

export type { CallOptions, GetOptions, GetResult, ImmutableGetResult, LookupCallOptions, MutableGetResult, MutablePutOptions, NamedValue, Published, PutOptions, PutResult } from './values.ts'

export type { BootstrapOptions, FindNodeResult, NodeEvents, NodeStats } from './node-types.ts'

export class KademliaNode extends Emitter<NodeEvents> {
  readonly id: Id
  readonly options: Tunables
  readonly table: RoutingTable
  readonly records: Records
  readonly #o: NodeOptions
  readonly #rpc: Rpc
  readonly #maintenance: Maintenance
  readonly #values: Values
  readonly #liveness: Liveness
  readonly #lookups: Lookups
  readonly #rejected: Record<string, number> = {}
  readonly #server: Server
  readonly #puzzle: PuzzleChecks
  #running = false

  constructor(options: NodeOptions) {
    super()
    this.#o = options
    this.id = assertId(options.id, 'node id')
    this.options = resolveTunables({ ...options, idPuzzleBits: options.idPuzzleBits ?? options.transport.idPuzzleBits })
    this.#puzzle = new PuzzleChecks(this.options.idPuzzleBits)
    // The parts take the tunables they need from the node's own (each reads only its own fields).
    const { k, storeSlack, maxValueBytes } = this.options
    this.table = new RoutingTable({ ...this.options, self: this.id })
    const verify = options.verify ?? options.transport.verify ?? lazyVerify
    this.records = new Records(options.store ?? new MemoryRecordStore(), {
      self: this.id,
      limits: this.options,
      check: { verify, puzzleBits: this.options.idPuzzleBits },
      belongs: (key) => this.table.withinRadius(key, k, storeSlack),
      now: () => this.now(),
    })
    this.#rpc = new Rpc({
      ...this.options,
      transport: options.transport,
      clock: options.clock,
      random: options.random,
      onAnswer: (peer) => this.#liveness.heard(peer),
      onFailure: (peer, proven) => this.#liveness.failed(peer, proven),
    })
    this.#maintenance = new Maintenance(this, options.clock, options.random, {
      lookup: (target, lookupOptions, extras) => this.#lookups.run(target, 'node', lookupOptions, extras),
      request: (peer, request, signal) => this.#rpc.request(peer, request, signal),
      // A node resting after failures is not one the table lacks: it most likely left.
      accept: (id) => !this.#liveness.resting(id) && (this.options.idPuzzleBits === 0 || this.#solvesPuzzle(id)),
    })
    this.#liveness = new Liveness({
      table: this.table,
      options: this.options,
      maintenance: this.#maintenance,
      now: () => this.now(),
      random: options.random,
      ping: (peer) => this.ping(peer),
      emit: (event, id) => this.emit(event, { id }),
    })
    this.#lookups = new Lookups({
      id: this.id,
      options: this.options,
      table: this.table,
      clock: options.clock,
      liveness: this.#liveness,
      rpc: this.#rpc,
      solvesPuzzle: (id) => this.#solvesPuzzle(id),
      assertRunning: () => this.#assertRunning(),
    })
    this.#values = new Values({
      id: this.id,
      options: this.options,
      records: this.records,
      signer: options.signer ?? options.transport.signer,
      verify,
      now: () => this.now(),
      lookup: (target, mode, lookupOptions, check) => this.#lookups.run(target, mode, lookupOptions, { check }),
      request: (peer, request, signal) => this.#rpc.request(peer, request, signal),
      hasPeers: () => this.table.size > 0,
      assertRunning: () => this.#assertRunning(),
    })
    this.#server = new Server({
      context: {
        k: this.options.k,
        table: this.table,
        records: this.records,
        maxMessageBytes: wireLimits(maxValueBytes).maxMessageBytes,
        now: () => this.now(),
        stored: (key, mode, from) => this.emit('record:stored', { key, mode, from }),
      },
      send: (to, message) => {
        if (this.#running) options.transport.send(to, message)
      },
      maxConcurrentInbound: this.options.maxConcurrentInbound,
    })
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
    this.records.stop()
    this.#maintenance.stop()
    this.#rpc.cancelAll(new DhtError(ErrorCode.NOT_RUNNING, 'node stopped'))
    this.#o.transport.close()
  }

  /**
   * Joins the network through known nodes: pings them (a second round if none answered the
   * first), looks up our own ID, then fills the buckets farther than our closest neighbour that
   * lookup did not cover (`fillBuckets`, unless `refreshBuckets: false`). Resolves with the number
   * of contacts afterwards.
   */
  async bootstrap(contacts: readonly Id[], options: BootstrapOptions = {}): Promise<number> {
    this.#assertRunning()
    const others = contacts
      .map((id) => assertId(id, 'bootstrap contact'))
      .filter((id) => !idEquals(id, this.id) && this.#solvesPuzzle(id))
    await Promise.allSettled(others.map((id) => this.ping(id, options)))
    // A transport that connects on demand opens each contact's connection for its PING: under load
    // the first PINGs can time out while those connections open. One more round before giving up.
    if (this.table.size === 0 && others.length > 0) await Promise.allSettled(others.map((id) => this.ping(id, options)))
    if (this.table.size === 0) {
      throw new DhtError(ErrorCode.NO_PEERS, others.length === 0 ? 'no bootstrap contact solves the ID puzzle' : 'no bootstrap contact answered')
    }
    const { closest } = await this.findNode(this.id, options)
    const { k } = this.options
    this.table.markCoveredBeyond(closest.length < k ? -1 : this.table.bucketIndex(closest[k - 1]!), this.now())
    if (options.refreshBuckets !== false) await this.fillBuckets(options)
    return this.table.size
  }

  /** Refreshes buckets below our closest neighbour's not looked into for `olderThanMs` (0: all). */
  async refreshBuckets(olderThanMs: number, options: CallOptions = {}): Promise<void> {
    await this.#maintenance.refresh(olderThanMs, false, options)
  }

  /**
   * After a join: fills the buckets below our closest neighbour's that no lookup went into for
   * `refreshIntervalMs` (`bootstrap`'s lookup of our own ID covered the nearest ones), with a
   * lookup of a random ID in each that ends once its bucket holds k contacts (a full one asks nobody).
   */
  async fillBuckets(options: CallOptions = {}): Promise<void> {
    await this.#maintenance.refresh(this.options.refreshIntervalMs, true, options)
  }

  /** Sends a PING; resolves true if the peer answered. */
  async ping(peer: Id, options: CallOptions = {}): Promise<boolean> {
    this.#assertRunning()
    try {
      await this.#rpc.request(peer, { type: 'PING' }, options.signal)
      return true
    } catch {
      return false
    }
  }

  /** The k closest live nodes to `target`. */
  async findNode(target: Id, options: LookupCallOptions = {}): Promise<FindNodeResult> {
    const result = await this.#lookups.run(assertId(target, 'target'), 'node', options)
    this.#assertRunning()
    return { closest: result.closest, trace: result.trace }
  }

  /** Publishes `value` under `key` as this node's signed named value, on the k closest nodes (values.ts). */
  async put(key: Id, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#assertRunning()
    return this.#values.put(assertId(key, 'key'), value, options)
  }

  /** Removes this node's named value under `key` (a signed tombstone). */
  async remove(key: Id, options: LookupCallOptions = {}): Promise<PutResult> {
    this.#assertRunning()
    return this.#values.remove(assertId(key, 'key'), options)
  }

  /** Every publisher's current named value under `key`, newest first, checked (values.ts). */
  async get(key: Id, options: GetOptions = {}): Promise<GetResult> {
    this.#assertRunning()
    return this.#values.get(assertId(key, 'key'), options)
  }

  /** Publishes a BEP 44 mutable item signed by this node (key: `mutableKey(publicKey, salt)`). */
  async putMutable(value: Uint8Array, options: MutablePutOptions = {}): Promise<PutResult> {
    this.#assertRunning()
    return this.#values.putMutable(value, options)
  }

  /** The newest BEP 44 mutable item of `publicKey` (and `salt`). */
  async getMutable(publicKey: Uint8Array, salt?: Uint8Array, options: GetOptions = {}): Promise<MutableGetResult> {
    this.#assertRunning()
    return this.#values.getMutable(publicKey, salt, options)
  }

  /** Publishes a BEP 44 immutable item (key: `immutableKey(value)`). */
  async putImmutable(value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#assertRunning()
    return this.#values.putImmutable(value, options)
  }

  /** The BEP 44 immutable item under `key`. */
  async getImmutable(key: Id, options: GetOptions = {}): Promise<ImmutableGetResult> {
    this.#assertRunning()
    return this.#values.getImmutable(assertId(key, 'key'), options)
  }

  /** Sends `record` to each target as a STORE (stores it here for this node's own ID); returns those that accepted. */
  async storeAt(targets: readonly Id[], key: Id, record: SignedRecord, ttlMs: number, mode: StoreMode): Promise<Id[]> {
    return (await this.#values.storeAt(targets, key, record, ttlMs, mode)).holders
  }

  /**
   * Hands `record` on to the k closest nodes to `key` (this one included, if among them) as a
   * replica: unchanged, with its proof, for `ttlMs` (adoption of a closed tab's records).
   */
  async replicateRecord(key: Id, record: SignedRecord, ttlMs: number): Promise<Id[]> {
    const { closest } = await this.findNode(assertId(key, 'key'), { paths: 1 })
    const targets = [...closest, this.id].sort((a, b) => compareDistance(key, a, b)).slice(0, this.options.k)
    return this.storeAt(targets, key, record, ttlMs, 'replicate')
  }

  /**
   * Stores a replica of `record` on the k closest nodes to `key` by a lookup whose requests are
   * the STOREs themselves: it starts from the table's closest, each holder answers with its own k
   * closest to the key (as NODES would), and it ends as a lookup does, once the k closest it met
   * have answered, each of them with the record stored. About k requests where a
   * lookup and then k STOREs were about 2k. `expiresAt`: the record's expiry (clock time).
   * Resolves with the nodes that stored it.
   */
  storeAround(key: Id, record: SignedRecord, expiresAt: number): Promise<Id[]> {
    return this.#maintenance.storeAround(key, record, expiresAt)
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
   * replacement). Returns whether the peer was in the table. Lookups leave it out, as after a
   * proven failure, until it is heard from again; then it comes back. Held records the peer was
   * among the k closest for are replicated again `churnReplicateDelayMs` later, as after a failed
   * request.
   */
  forget(peer: Id): boolean {
    return this.#liveness.gone(assertId(peer, 'peer id'))
  }

  /** Records this node published and republishes. */
  published(): Published[] {
    return this.#values.published()
  }

  /** Takes over a record this node published before a restart, to republish it (the record is unchanged). */
  adoptPublished(published: Published): void {
    this.#values.adopt(published)
  }

  /** Stores a published record again, unchanged, on the current k closest (the republish timer's work). */
  republish(published: Published): Promise<void> {
    return this.#values.republish(published)
  }

  /** Stops republishing `key` (its copies then expire with their TTL). */
  unpublish(key: Id): void {
    this.#values.unpublish(key)
  }

  stats(): NodeStats {
    return {
      peers: this.table.size,
      records: this.records.count,
      storedBytes: this.records.bytes,
      published: this.#values.published().length,
      inflightRequests: this.#rpc.inflight,
      requestsSent: this.#rpc.sent,
      requestsSentByType: { ...this.#rpc.sentByType },
      requestsFailed: this.#rpc.failed,
      slowRequests: this.#lookups.slowRequests,
      requestsServed: this.#server.served,
      churnReplications: this.#maintenance.churnReplications,
      churnLookups: this.#maintenance.churnLookups,
      churnFallbacks: this.#maintenance.churnFallbacks,
      rejected: { ...this.#rejected },
      refusedStores: { ...this.records.refused },
    }
  }

  now(): number {
    return this.#o.clock.now()
  }

  #assertRunning(): void {
    if (!this.#running) throw new DhtError(ErrorCode.NOT_RUNNING, 'the node is not running; call start() first')
  }

  /** Whether `id` solves the network's ID puzzle (`idPuzzleBits`; O(1): one SHA-1 of 20 bytes, remembered). */
  #solvesPuzzle(id: Id): boolean {
    return this.#puzzle.solves(id)
  }

  #onMessage(from: Id, message: Message): void {
    if (!this.#running) return
    // The puzzle is checked once per peer: a contact in the table passed it when it was added.
    if (this.options.idPuzzleBits > 0 && !this.table.has(from) && !this.#solvesPuzzle(from)) {
      this.#reject(from, new DhtError(ErrorCode.WEAK_ID, `${shortHex(from)} does not solve the ID puzzle of ${this.options.idPuzzleBits} bits`))
      return
    }
    if (!isRequest(message)) {
      // Any answer shows the peer is alive, a late one too (it ends a rest of a node outside the table).
      this.#liveness.alive(from)
      const error = this.#rpc.answer(from, message)
      if (error !== undefined) this.#reject(from, error)
      return
    }
    this.#liveness.heard(from)
    this.#server.serve(from, message)
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
}
