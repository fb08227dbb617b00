/**
 * One DHT peer, whatever it runs in: the Kademlia node, its WebRTC transport and connection
 * manager, one signaling link per server, the entry through the peers those servers name, and
 * what happens once it has joined (republish its own records, replicate what it holds). The
 * platform entries (`browser.ts`, `node.ts`) hand it an identity, a store and a peer factory;
 * `close()` stops everything it started.
 */
import type { NodeIdentity } from '@browser-dht/identity'
import {
  type Clock,
  createNode,
  Emitter,
  type GetOptions,
  type GetResult,
  type Id,
  ID_BYTES,
  type ImmutableGetResult,
  type KademliaNode,
  keyOf,
  type LookupCallOptions,
  type MutableGetResult,
  type MutablePutOptions,
  type NodeStats,
  type PutOptions,
  type PutResult,
  type Random,
  type TimerHandle,
  toHex,
} from '@browser-dht/kademlia'
import { ConnectionManager, type DirectLinking, type ManagerStats, PEER_GONE, type PeerFactory, type TransportStats, WebRtcTransport } from '@browser-dht/webrtc-transport'
import { PeerError, PeerErrorCode } from './errors.ts'
import { checkSignalUrls, type PeerOptions, type PeerTimings, resolveTimings } from './options.ts'
import type { PeerEvents } from './events.ts'
import { PublishedRecords } from './published.ts'
import { ClientSignaler } from './signaling/client-signaler.ts'
import { Entry } from './signaling/entry.ts'
import type { WebSocketConstructor } from './signaling/signaling-client.ts'
import { SignalingLink, type SignalingState } from './signaling/signaling-link.ts'
import type { PeerStore } from './store.ts'

/** A name (its key is the SHA-1 of the name) or a 20-byte key. */
export type NameOrKey = string | Id

/** What a platform entry adds to a peer's life: timers and clean-ups that `close()` ends with the rest. */
export interface Lifecycle {
  /** Runs `task` every `ms` until the peer closes. */
  every(ms: number, task: () => void): void
  /** Runs `task` when the peer closes. */
  onClose(task: () => void | Promise<void>): void
  /** Emits one of the peer's events. */
  emit<E extends keyof PeerEvents>(name: E, event: PeerEvents[E]): void
}

/** Where a peer's identity and records come from, for people (a log line, a status page). */
export interface PeerAbout {
  identity: 'given' | 'restored' | 'created'
  /** A stored identity did not solve the ID puzzle and was replaced by a new one. */
  replacedWeakIdentity: boolean
  /** Where the records live, in words (a database name, a directory, memory). */
  storage: string
  /** Closed tabs' records are adopted (tabs with Web Locks). */
  adoptsOrphans: boolean
  /** Node: the UDP port all WebRTC connections use (ICE UDP mux), when they share one. */
  icePort?: number
  /** Node: the URL other Node peers dial for a direct link to this one (WebSocket), when it listens. */
  directUrl?: string
}

/** What a platform entry hands the peer: the options, with identity, store and WebRTC filled in. */
export interface PeerParts extends PeerOptions {
  identity: NodeIdentity
  store: PeerStore
  peerFactory: PeerFactory
  /** Direct links to other Node peers (the transport's DIRECT.md); none in a tab. */
  directLinks?: DirectLinking
  clock: Clock
  random: Random
  /** The transport's clock (its round trips want sub-millisecond resolution). Default `clock`. */
  preciseClock?: Clock
  about: PeerAbout
  /** Adds the platform's own work to the peer's life (orphan adoption in tabs). */
  setup?: (peer: Peer, life: Lifecycle) => void
}

export interface PeerStats {
  id: string
  joined: boolean
  signaling: { url: string; state: SignalingState['kind'] }[]
  node: NodeStats
  transport: TransportStats
  connections: ManagerStats
}

export class Peer extends Emitter<PeerEvents> {
  readonly identity: NodeIdentity
  /** The Kademlia node (routing table, records, lookups): for what the peer's own API does not cover. */
  readonly node: KademliaNode
  readonly transport: WebRtcTransport
  readonly connections: ConnectionManager
  readonly store: PeerStore
  readonly timings: PeerTimings
  readonly about: PeerAbout
  readonly #urls: string[]
  readonly #links: SignalingLink[]
  readonly #entry: Entry
  readonly #published: PublishedRecords
  readonly #clock: Clock
  readonly #timers: TimerHandle[] = []
  readonly #closers: (() => void | Promise<void>)[] = []
  readonly #unsubscribe: (() => void)[] = []
  #joined = false
  /** A `settleMs` wait for the first contacts is running. */
  #settling = false
  #closed = false

  private constructor(parts: PeerParts) {
    super()
    this.#urls = checkSignalUrls(parts.signal)
    this.timings = resolveTimings(parts.timings)
    this.identity = parts.identity
    this.about = parts.about
    this.store = parts.store
    this.#clock = parts.clock
    const puzzle = parts.idPuzzleBits === undefined ? {} : { idPuzzleBits: parts.idPuzzleBits }
    const signalers = this.#urls.map(() => new ClientSignaler())
    this.transport = new WebRtcTransport({
      ...parts.transport,
      ...puzzle,
      identity: parts.identity,
      signalers,
      peerFactory: parts.peerFactory,
      ...(parts.directLinks === undefined ? {} : { direct: parts.directLinks }),
      loopbackOnly: parts.loopbackOnly ?? false,
      iceServers: parts.iceServers ?? [],
      clock: parts.preciseClock ?? parts.clock,
      random: parts.random,
    })
    this.node = createNode({ ...parts.dht, ...puzzle, id: parts.identity.id, transport: this.transport, clock: parts.clock, random: parts.random, store: parts.store })
    this.connections = new ConnectionManager({
      ...parts.connections,
      transport: this.transport,
      table: this.node.table,
      clock: parts.clock,
      random: parts.random,
      check: (id) => void this.node.ping(id).catch(() => false),
    })
    this.#published = new PublishedRecords({ store: parts.store, node: this.node, verify: this.transport.verify, now: () => parts.clock.now() })
    this.#entry = new Entry({
      node: this.node,
      introduce: (ids, signaler) => this.transport.introduce(ids, signaler),
      joined: () => this.#joinedNetwork(),
      failed: (peers) => this.emit('entry:failed', { peers }),
    })
    this.#links = this.#urls.map(
      (url, i) =>
        new SignalingLink({
          url,
          identity: parts.identity,
          signaler: signalers[i]!,
          retryMs: this.timings.signalingRetryMs,
          maxRetryMs: this.timings.maxSignalingRetryMs,
          clock: parts.clock,
          random: parts.random,
          ...(parts.WebSocket === undefined ? {} : { WebSocket: parts.WebSocket as WebSocketConstructor }),
          onPeers: (peers) => void this.#entry.through(peers, signalers[i]!),
          onState: (state) => this.emit('signaling', { url, state }),
        }),
    )
  }

  /** Builds a peer from its parts and starts it: records loaded, then into the network. */
  static async start(parts: PeerParts): Promise<Peer> {
    const peer = new Peer(parts)
    try {
      await peer.#start(parts)
    } catch (error) {
      await peer.close() // whatever had started (the node's timers) stops again
      throw error
    }
    return peer
  }

  /** This node's ID as 40 hex digits. */
  get id(): string {
    return toHex(this.identity.id)
  }

  /** In the network: it has had contacts since it started. */
  get joined(): boolean {
    return this.#joined
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Each signaling server and its link's state, in the order given. */
  get signaling(): { url: string; state: SignalingState }[] {
    return this.#links.map((link, i) => ({ url: this.#urls[i]!, state: link.state }))
  }

  /** Publishes `value` under the name as this node's own value, signed: only this node can change or remove it. */
  async put(name: NameOrKey, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#open()
    const ttlMs = this.#ttlOf(options)
    const result = await this.node.put(keyOfName(name), value, { ...options, ttlMs })
    await this.#published.save({ key: result.key, record: result.record, ttlMs }, typeof name === 'string' ? name : undefined)
    return result
  }

  /** Every publisher's value under the name, newest first, each checked against its signature (`own` marks this node's). */
  async get(name: NameOrKey, options: GetOptions = {}): Promise<GetResult> {
    this.#open()
    return this.node.get(keyOfName(name), options)
  }

  /** Removes this node's own value under the name (a signed tombstone); others' values stay. */
  async remove(name: NameOrKey, options: LookupCallOptions = {}): Promise<PutResult> {
    this.#open()
    const key = keyOfName(name)
    const result = await this.node.remove(key, options)
    await this.#published.delete(key)
    return result
  }

  /** A BEP 44 mutable item under SHA-1(this node's public key ‖ salt): seq grows with each put. */
  async putMutable(value: Uint8Array, options: MutablePutOptions = {}): Promise<PutResult> {
    this.#open()
    const ttlMs = this.#ttlOf(options)
    const result = await this.node.putMutable(value, { ...options, ttlMs })
    await this.#published.save({ key: result.key, record: result.record, ttlMs })
    return result
  }

  /** The newest BEP 44 mutable item of `publicKey` (and `salt`), checked against its signature. */
  async getMutable(publicKey: Uint8Array, salt?: Uint8Array, options: GetOptions = {}): Promise<MutableGetResult> {
    this.#open()
    return this.node.getMutable(publicKey, salt, options)
  }

  /** Stores `value` as a BEP 44 immutable item, under the SHA-1 of its bencoding (the result's `key`). */
  async putImmutable(value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    this.#open()
    const ttlMs = this.#ttlOf(options)
    const result = await this.node.putImmutable(value, { ...options, ttlMs })
    await this.#published.save({ key: result.key, record: result.record, ttlMs })
    return result
  }

  /** The immutable item under `key`, checked against it. */
  async getImmutable(key: Id, options: GetOptions = {}): Promise<ImmutableGetResult> {
    this.#open()
    return this.node.getImmutable(key, options)
  }

  /** The name a published key was put under, when this peer put it by name. */
  nameOf(key: Id): string | undefined {
    return this.#published.nameOf(key)
  }

  stats(): PeerStats {
    return {
      id: this.id,
      joined: this.#joined,
      signaling: this.signaling.map(({ url, state }) => ({ url, state: state.kind })),
      node: this.node.stats(),
      transport: this.transport.stats(),
      connections: this.connections.stats(),
    }
  }

  /**
   * Leaves: stops the timers, the signaling links and the connection manager, stops the node,
   * says BYE on every connection (so peers drop this node at once) and closes them, then lets go
   * of the store. Afterwards nothing of the peer runs; calling anything but `stats` throws
   * ERR_CLOSED. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const timer of this.#timers.splice(0)) this.#clock.clearTimeout(timer)
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    for (const link of this.#links) link.stop()
    this.connections.stop()
    await this.node.stop()
    this.transport.close()
    for (const close of this.#closers.splice(0)) await close()
    await this.store.close?.()
    // The BYE frames are on their way; a process that exits right after close() lets them leave.
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.timings.byeWaitMs))
    this.emit('closed', {})
  }

  /** The lifetime a publish gives its record (kept with it, so a republish gives the same). */
  #ttlOf(options: PutOptions): number {
    return options.ttlMs ?? this.node.options.recordTtlMs
  }

  #open(): void {
    if (this.#closed) throw new PeerError(PeerErrorCode.CLOSED, 'the peer is closed')
  }

  async #start(parts: PeerParts): Promise<void> {
    await this.node.start()
    const { loaded, dropped } = await this.#published.load()
    if (dropped > 0) this.emit('warning', { code: 'PUBLISHED_DROPPED', message: `${dropped} published record(s) read back from storage did not prove themselves and were dropped` })
    this.emit('started', { records: this.node.records.count, published: loaded })
    this.#wire()
    parts.setup?.(this, {
      every: (ms, task) => this.#every(ms, task),
      onClose: (task) => void this.#closers.push(task),
      emit: (name, event) => this.emit(name, event),
    })
    this.#every(this.timings.rejoinMs, () => void this.#entry.again(this.#links))
    this.connections.start()
    for (const link of this.#links) link.start()
  }

  #wire(): void {
    const { node, transport } = this
    this.#unsubscribe.push(
      node.on('peer:added', (event) => {
        this.emit('peer:added', event)
        // The first node of a network learns its first contact when someone enters through it.
        if (!this.#joined && !this.#settling && !this.#entry.joining) {
          this.#settling = true
          this.#after(this.timings.settleMs, () => {
            this.#settling = false
            void this.#joinedNetwork()
          })
        }
      }),
      node.on('peer:removed', (event) => this.emit('peer:removed', event)),
      node.on('record:stored', (event) => this.emit('record:stored', event)),
      transport.on('peer:connected', (event) => this.emit('peer:connected', event)),
      transport.on('connect:failed', (event) => this.emit('connect:failed', event)),
      transport.on('peer:disconnected', (event) => {
        // A channel that closed under us (peer closed, crashed, went silent) means the peer is
        // gone: drop it from the routing table now rather than after requests to it time out.
        // Connections closed for housekeeping (budget, glare, a redial) say nothing of it.
        const forgotten = PEER_GONE.has(event.reason) && node.forget(event.id)
        this.emit('peer:disconnected', { ...event, forgotten })
      }),
    )
  }

  /** Once per start, after the first contacts: republish this node's records, replicate what it holds. */
  async #joinedNetwork(): Promise<void> {
    if (this.#joined || this.#closed || this.node.table.size === 0) return
    this.#joined = true
    this.emit('joined', { contacts: this.node.table.size })
    const republished = await this.#published.republishAll()
    if (republished > 0) this.emit('republished', { records: republished })
    await this.node.replicateNow().catch(() => undefined)
  }

  #every(ms: number, task: () => void): void {
    const tick = (): void => {
      if (this.#closed) return
      task()
      this.#after(ms, tick)
    }
    this.#after(ms, tick)
  }

  #after(ms: number, task: () => void): void {
    const timer = this.#clock.setTimeout(() => {
      const at = this.#timers.indexOf(timer)
      if (at >= 0) this.#timers.splice(at, 1)
      task()
    }, ms)
    this.#timers.push(timer)
  }
}

function keyOfName(name: NameOrKey): Id {
  if (typeof name === 'string') return keyOf(name)
  if (name instanceof Uint8Array && name.length === ID_BYTES) return name
  throw new PeerError(PeerErrorCode.INVALID_OPTION, 'a name is a string, or a key of 20 bytes')
}

