/**
 * The core's `Transport` over WebRTC data channels. It sends a DHT message on the open channel to
 * its target when there is one, else through the overlay (a RELAY frame passed along open channels
 * toward the target, RELAY.md), and only dials on its own when it has no channel at all. It
 * accepts connections offered through signaling servers or through the overlay, binds every
 * channel to the node ID that signed its handshake, and authenticates every relayed DHT message
 * end to end (auth/relay-seal.ts): only what an origin provably sent is delivered, answered or
 * learned from. It watches liveness with its own heartbeat, and keeps every queue, every rate and
 * the number of connections bounded. See README.md for the frame format, the glare rule and the
 * budget policy.
 */
import {
  compareBytes,
  decodeMessage,
  deliverBytes,
  Emitter,
  encodeMessage,
  type Id,
  idEquals,
  idKey,
  type Message,
  type Signer,
  type TimerHandle,
  toHex,
  TokenBucket,
  type Transport,
  type TransportHandler,
  type Verify,
} from '@browser-dht/kademlia'
import { PeerKeys } from './auth/peer-keys.ts'
import { type OpenResult, RelayAuth } from './auth/relay-seal.ts'
import { ReplayWindows } from './auth/replay.ts'
import { Sequencer } from './auth/sequencer.ts'
import { type AuthSuite, createSuite } from './auth/suite.ts'
import type { TransportEvents } from './events.ts'
import { budgetVictim } from './link/budget.ts'
import { Link, type LinkHooks, type LinkState } from './link/link.ts'
import { resolveOptions, type ResolvedOptions, type WebRtcTransportOptions } from './options.ts'
import { type OwnRelay, RelayRouter } from './overlay/relays.ts'
import { SIGNAL_VERSION, type SignalEnvelope } from './signaling/signal.ts'
import { type SignalArrival, SignalExchange } from './signaling/signal-exchange.ts'
import type { OpenedSignal } from './signaling/signed-signal.ts'
import type { Signaler } from './signaling/signaler.ts'
import { TransportError, TransportErrorCode } from './errors.ts'
import { type CloseReason, Counters, type DropReason, type TransportStats } from './stats.ts'
import { ByeReason, dhtFrame, type RelayFrame, RelayKind } from './wire/frames.ts'

export interface PeerInfo {
  id: Id
  state: Exclude<LinkState, 'closed'>
  /** True when this node dialed. */
  initiator: boolean
  /** Round trip of the last answered heartbeat PING, in ms. */
  rttMs: number | undefined
  /** Last time a DHT message or relay went either way (clock ms). */
  lastUsed: number
  /** When the data channel opened (clock ms), if it has. */
  openedAt: number | undefined
}

/** Which connections a node wants to keep. The transport never closes a wanted one to make room. */
export interface ConnectionPolicy {
  wanted(id: Id): boolean
}

export class WebRtcTransport extends Emitter<TransportEvents> implements Transport {
  readonly id: Id
  readonly options: ResolvedOptions
  /** The network's ID puzzle, which the node checks too (the core's `idPuzzleBits` default). */
  readonly idPuzzleBits: number
  /** Signs the node's records with its identity key (the core's `signer` default). */
  readonly signer: Signer
  /** Checks record signatures with the same suite (WebCrypto where the platform has Ed25519). */
  readonly verify: Verify
  readonly #links = new Map<string, Link>()
  readonly #counters = new Counters()
  readonly #hooks: LinkHooks
  readonly #suite: AuthSuite
  readonly #keys: PeerKeys
  readonly #auth: RelayAuth
  readonly #router: RelayRouter
  readonly #signals: SignalExchange
  /** Presence checks of relays passed on for others (to learn the way back to their origins). */
  readonly #onTheWay: TokenBucket
  #policy: ConnectionPolicy | undefined
  #handler: TransportHandler | undefined
  /** The peer whose channel brought the DHT message being delivered (for route hints). */
  #arrivingVia: Id | undefined
  #ticker: TimerHandle | undefined
  #closed = false

  constructor(options: WebRtcTransportOptions) {
    super()
    this.options = resolveOptions(options)
    this.id = this.options.id
    this.idPuzzleBits = this.options.idPuzzleBits
    const { identity, clock, maxPeerKeys, maxReplaySenders, replayWindow, maxAuthAgeMs, idPuzzleBits } = this.options
    const counters = this.#counters
    const sequencer = new Sequencer(clock)
    this.#suite = createSuite(identity, this.options.authCrypto)
    const suite = this.#suite
    this.signer = { publicKey: identity.publicKey, sign: (message) => suite.sign(message) }
    this.verify = (signature, message, publicKey) => suite.verify(signature, message, publicKey)
    this.#keys = new PeerKeys(this.id, this.#suite, maxPeerKeys)
    const replay = new ReplayWindows(maxReplaySenders, replayWindow)
    this.#auth = new RelayAuth({
      identity,
      suite: this.#suite,
      keys: this.#keys,
      replay,
      clock,
      maxAgeMs: maxAuthAgeMs,
      idPuzzleBits,
      presenceIntervalMs: this.options.presenceIntervalMs,
      presenceMaxAgeMs: this.options.relayMemoryMs,
      maxPresences: this.options.maxRouteHints,
      counters,
    })
    const { authBurst, authRatePerSecond } = this.options
    this.#onTheWay = new TokenBucket({ burst: authBurst, perSecond: authRatePerSecond, now: () => clock.now() })
    this.#router = new RelayRouter({
      self: this.id,
      options: this.options,
      counters,
      sequencer,
      links: {
        open: (except) => this.#openPeers(except),
        isOpen: (id) => this.isConnected(id),
        send: (to, frame) => {
          const link = this.#links.get(idKey(to))
          return link === undefined ? 'link-closed' : link.sendFrame(frame)
        },
      },
      seal: (relay, message) => this.#auth.seal(relay, message),
      failed: (relay) => this.#relayFailed(relay),
      passedOn: (frame, from) => this.#learnOnTheWay(frame, from),
    })
    this.#signals = new SignalExchange({
      options: this.options,
      counters,
      suite: this.#suite,
      sequencer,
      relay: (to, bytes) => this.#router.start(to, RelayKind.SIGNAL, bytes),
      received: (opened, arrival) => this.#onSignal(opened, arrival),
    })
    this.#hooks = {
      signal: (link, signal) => {
        const flagged = link.entering && signal.kind === 'offer' ? { ...signal, first: true as const } : signal
        this.#signals.send(link.remote, flagged, link.signalPath)
      },
      opened: (link) => this.#opened(link),
      message: (link, payload) => this.#deliver(link.remote, link.remote, payload),
      relay: (link, frame) => this.#onRelay(link, frame),
      undeliverable: (link, frame) => this.#router.undeliverable(link.remote, frame),
      closed: (link, reason, queuedDropped) => this.#linkClosed(link, reason, queuedDropped),
    }
    for (const signaler of this.options.signalers) this.addSignaler(signaler)
  }

  /** Which public-key implementation authenticates (`authCrypto`; `auto` picks WebCrypto when it can). */
  get authSuite(): 'webcrypto' | 'noble' {
    return this.#suite.name
  }

  /** Carries signals through `signaler` too (one more signaling server); returns its removal. */
  addSignaler(signaler: Signaler): () => void {
    return this.#closed ? () => {} : this.#signals.addSignaler(signaler)
  }

  /** `signaler`'s server knows these nodes (it named them as peers): signal them through it. */
  introduce(ids: readonly Id[], signaler: Signaler): void {
    this.#signals.introduce(ids, signaler)
  }

  /** Sets the policy that decides which connections are kept when the budget is full. */
  setPolicy(policy: ConnectionPolicy | undefined): void {
    this.#policy = policy
  }

  send(to: Id, message: Message): void {
    if (this.#closed) return this.#drop('transport-closed')
    if (idEquals(to, this.id)) return this.#drop('self')
    const bytes = encodeMessage(message)
    if (bytes.length > this.options.limits.maxMessageBytes) return this.#drop('message-too-large')
    const link = this.#links.get(idKey(to))
    if (link === undefined && this.#router.start(to, RelayKind.DHT, bytes)) return
    const target = link ?? this.#dial(to)
    if (target === undefined) return
    const dropped = target.sendFrame(dhtFrame(bytes))
    if (dropped !== undefined) this.#drop(dropped)
  }

  /**
   * True when a message to `to` goes on a data channel of its own (no relay in between), so an
   * unanswered request is `to`'s own failure (the core's proven failures).
   */
  direct(to: Id): boolean {
    return this.isConnected(to)
  }

  /**
   * Opens a connection to `id` (signaled through the overlay when this node has an open channel,
   * else through a signaling server) unless there is one. False when the budget has no room.
   */
  connect(id: Id): boolean {
    if (this.#closed || idEquals(id, this.id)) return false
    return this.#links.has(idKey(id)) || this.#dial(id, true) !== undefined
  }

  listen(handler: TransportHandler): void {
    this.#handler = {
      onMessage: (from, message) => {
        this.#learnFrom(message)
        handler.onMessage(from, message)
      },
      onInvalid: (from, failure) => handler.onInvalid(from, failure),
      onUndeliverable: (to, message) => handler.onUndeliverable?.(to, message),
    }
  }

  /**
   * Says goodbye on every open channel (BYE leaving, so peers drop this node at once), closes
   * every connection, stops listening for signals and drops everything.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#signals.close()
    if (this.#ticker !== undefined) this.options.clock.clearTimeout(this.#ticker)
    this.#ticker = undefined
    for (const link of [...this.#links.values()]) link.close('transport-closed', ByeReason.LEAVING)
    this.#links.clear()
    this.#handler = undefined
  }

  /** Closes the connection to `id`, if there is one, telling the peer it is for the budget's sake. */
  disconnect(id: Id): void {
    this.#links.get(idKey(id))?.close('disconnected', ByeReason.BUDGET)
  }

  /** True when a data channel to `id` is open. */
  isConnected(id: Id): boolean {
    return this.#links.get(idKey(id))?.state === 'open'
  }

  /**
   * The raw data-channel round trip to `id`, in clock ms: one PING frame (type 1, a fresh u32
   * nonce) written on the open channel, timed until the PONG echoing that nonce arrives. It does
   * not dial: with no open channel it rejects with ERR_NOT_CONNECTED. It rejects with
   * ERR_PROBE_TIMEOUT after `probeTimeoutMs` without the PONG, and with ERR_LINK_CLOSED if the
   * connection closes first. The PONG counts as liveness like any frame heard, but leaves the
   * heartbeat's PING, `peers()[].rttMs` and the idle clock (`lastUsed`) alone.
   */
  probe(id: Id): Promise<number> {
    const link = this.#closed ? undefined : this.#links.get(idKey(id))
    if (link?.state !== 'open') {
      return Promise.reject(new TransportError(TransportErrorCode.NOT_CONNECTED, `no open data channel to ${toHex(id)}`))
    }
    return link.probe()
  }

  /** Every connection, connecting or open. */
  peers(): PeerInfo[] {
    return [...this.#links.values()].map((link) => ({
      id: link.remote,
      state: link.state === 'open' ? 'open' : 'connecting',
      initiator: link.initiator,
      rttMs: link.rttMs,
      lastUsed: link.lastUsed,
      openedAt: link.openedAt,
    }))
  }

  stats(): TransportStats {
    let open = 0
    for (const link of this.#links.values()) if (link.state === 'open') open++
    return this.#counters.snapshot(open, this.#links.size - open)
  }

  #drop(reason: DropReason, count = 1): void {
    this.#counters.drop(reason, count)
  }

  #openPeers(except?: Id): Id[] {
    const open: Id[] = []
    for (const link of this.#links.values()) {
      if (link.state === 'open' && (except === undefined || !idEquals(link.remote, except))) open.push(link.remote)
    }
    return open
  }

  /** Makes room for one more connection if the budget is full; false when it cannot. */
  #makeRoom(incoming: boolean): boolean {
    if (this.#links.size < this.options.maxConnections) return true
    const policy = this.#policy
    const victim = budgetVictim(this.#links.values(), {
      now: this.options.clock.now(),
      wanted: policy === undefined ? undefined : (link) => policy.wanted(link.remote),
      minConnectionAgeMs: this.options.minConnectionAgeMs,
      incoming,
    })
    if (victim === undefined) return false
    victim.close('evicted', ByeReason.BUDGET)
    return this.#links.size < this.options.maxConnections
  }

  /** Dials `to`; with `quiet`, no room is not counted as a dropped message (there is none). */
  #dial(to: Id, quiet = false): Link | undefined {
    if (!this.#makeRoom(false)) {
      if (!quiet) this.#drop('budget-full')
      return undefined
    }
    const session = Math.floor(this.options.random.float() * 2 ** 32)
    const entering = this.#openPeers(to).length === 0
    const link = this.#createLink(Uint8Array.from(to), session, true, entering ? 'server' : 'overlay')
    if (link !== undefined) link.entering = entering
    return link
  }

  #createLink(remote: Id, session: number, initiator: boolean, path: Link['signalPath']): Link | undefined {
    let link: Link
    try {
      const key = idKey(remote)
      link = new Link({ remote, key, session, initiator, options: this.options, counters: this.#counters, hooks: this.#hooks })
    } catch {
      this.#drop('peer-create-failed')
      return undefined
    }
    link.signalPath = path
    this.#links.set(link.key, link)
    this.#counters.connectionsCreated++
    this.#counters.peakConnections = Math.max(this.#counters.peakConnections, this.#links.size)
    this.#armTicker()
    return link
  }

  // ---- relays (RELAY.md; routing in overlay/relays.ts, authentication in auth/relay-seal.ts) ----

  #onRelay(link: Link, frame: RelayFrame): void {
    if (!idEquals(frame.target, this.id)) return this.#router.forward(link.remote, frame)
    this.#counters.relaysReceived++
    if (frame.kind === RelayKind.SIGNAL) {
      return this.#signals.fromOverlay(frame.body, { origin: frame.origin, via: link.remote, seq: frame.seq }, () => link.takeAuthToken())
    }
    const budget = (): boolean => link.takeAuthToken() && ++this.#counters.authOperations > 0
    const opened = (result: OpenResult): void => {
      if (this.#closed) return
      if (!result.ok) {
        this.#counters.relaysRejected[result.reason]++
        return this.#drop('relay-unauthenticated')
      }
      // The origin proved itself: the way this came leads back to it, and replies name its seq.
      this.#router.hints.learn(frame.origin, link.remote, 'reverse', frame.seq)
      this.#deliver(frame.origin, link.remote, result.message)
    }
    const result = this.#auth.open(frame, budget)
    if (result instanceof Promise) void result.then(opened)
    else opened(result)
  }

  /**
   * A DHT relay passed on for others: if it brings a new presence of its origin (presence.ts), the
   * peer that brought it leads back to that origin. Checked after the frame went on, so it never
   * delays it; within a budget of its own (the rate of `authRatePerSecond`), since nothing here is
   * owed to anyone.
   */
  #learnOnTheWay(frame: RelayFrame, from: Id): void {
    const budget = (): boolean => this.#onTheWay.take() && ++this.#counters.authOperations > 0
    const checking = this.#auth.checkOnTheWay(frame, budget)
    if (checking === false) return
    void checking.then((sent) => {
      if (!sent || this.#closed) return
      this.#counters.routesLearnedOnTheWay++
      this.#router.hints.learn(frame.origin, from, 'reverse')
    })
  }

  /** A relay this node started will not arrive (UNDELIVERABLE came back, or the relay itself, twice). */
  #relayFailed(relay: OwnRelay): void {
    if (this.#closed) return
    // A signal the overlay could not deliver goes through a signaling server instead, if any.
    if (relay.kind === RelayKind.SIGNAL) return this.#signals.viaServer(relay.target, relay.payload)
    // A request that cannot arrive fails now (an unproven failure: a relay said so), not after its timeout.
    const decoded = decodeMessage(relay.payload, this.options.limits)
    if (decoded.ok) this.#handler?.onUndeliverable?.(relay.target, decoded.message)
  }

  /** Route hints from a NODES answer: the peer that brought it leads toward the nodes it lists. */
  #learnFrom(message: Message): void {
    const via = this.#arrivingVia
    if (via === undefined || message.type !== 'NODES') return
    for (const id of message.nodes) if (!idEquals(id, this.id)) this.#router.hints.learn(id, via, 'referral')
  }

  // ---- signals (signal-exchange.ts carries and checks them; here they act on connections) ----

  /** A signal that passed every check arrived from `opened.from`. */
  #onSignal(opened: OpenedSignal, arrival: SignalArrival): void {
    if (this.#closed) return
    const { from, signal, seq } = opened
    this.#keys.learn(from, opened.publicKey)
    if (arrival.path === 'overlay') this.#router.hints.learn(from, arrival.via, 'reverse', arrival.seq)
    const existing = this.#links.get(idKey(from))
    if (existing !== undefined && existing.session === signal.session) {
      if (signal.kind === 'refuse') {
        if (existing.initiator && existing.state === 'connecting') existing.close('refused')
        return
      }
      const dropped = existing.signal(signal)
      if (dropped !== undefined) return this.#drop(dropped)
      if (signal.kind === 'answer') existing.remoteSeq = seq
      return
    }
    if (signal.kind !== 'offer') return this.#drop('stale-signal')
    // A connection is replaced only by an offer signed after the signal that made it (not a replay).
    if (existing?.remoteSeq !== undefined && seq <= existing.remoteSeq) return this.#drop('stale-signal')
    this.#onOffer(from, existing, signal, seq, arrival.path)
  }

  /** An offer for a new connection attempt from `from`. */
  #onOffer(from: Id, existing: Link | undefined, offer: SignalEnvelope, seq: number, path: Link['signalPath']): void {
    let carried: Uint8Array[] = []
    if (existing !== undefined && existing.initiator && existing.state === 'connecting') {
      // Glare: both dialed. The connection dialed by the lower ID is kept.
      if (compareBytes(this.id, from) < 0) return this.#drop('glare')
      carried = existing.takeQueue()
      existing.close('glare-lost')
    } else if (existing !== undefined) {
      // The remote started over, so it no longer uses the connection this node still has.
      existing.close('replaced')
    } else if (!this.#makeRoom(offer.kind === 'offer' && offer.first !== true)) {
      // (A node entering the network, with no other connection, is made room for like a dial of
      // this node's own: it needs one connection to get in; every other offer only takes a free
      // slot or an idle one.)
      this.#drop('refused')
      this.#signals.send(from, { v: SIGNAL_VERSION, session: offer.session, kind: 'refuse' }, path)
      return
    }
    const link = this.#createLink(from, offer.session, false, path)
    if (link === undefined) return this.#drop('connect-failed', carried.length)
    link.remoteSeq = seq
    for (const frame of carried) {
      const dropped = link.sendFrame(frame)
      if (dropped !== undefined) this.#drop(dropped)
    }
    const dropped = link.signal(offer)
    if (dropped !== undefined) this.#drop(dropped)
  }

  // ---- links ----

  #opened(link: Link): void {
    this.#counters.connectionsOpened++
    const connectMs = (link.openedAt ?? link.createdAt) - link.createdAt
    this.emit('peer:connected', { id: link.remote, initiator: link.initiator, connectMs })
  }

  /** Hands a DHT message from `from` (that came in on `via`'s channel) to the node. */
  #deliver(from: Id, via: Id, payload: Uint8Array): void {
    if (this.#handler === undefined) return this.#drop('no-handler')
    this.#arrivingVia = via
    try {
      deliverBytes(this.#handler, from, payload, this.options.limits)
    } finally {
      this.#arrivingVia = undefined
    }
  }

  #linkClosed(link: Link, reason: CloseReason, queuedDropped: number): void {
    if (this.#links.get(link.key) === link) this.#links.delete(link.key)
    this.#counters.closed[reason]++
    const wasOpen = link.openedAt !== undefined
    if (queuedDropped > 0) this.#drop(wasOpen ? 'link-closed' : 'connect-failed', queuedDropped)
    if (wasOpen) this.emit('peer:disconnected', { id: link.remote, reason })
    else if (reason !== 'glare-lost' && reason !== 'replaced') {
      this.emit('connect:failed', { id: link.remote, reason, queuedDropped })
    }
  }

  /** The heartbeat timer runs while there is any connection, so an idle transport holds no timer. */
  #armTicker(): void {
    if (this.#ticker !== undefined || this.#closed) return
    this.#ticker = this.options.clock.setTimeout(() => {
      this.#ticker = undefined
      const now = this.options.clock.now()
      for (const link of [...this.#links.values()]) link.tick(now)
      if (this.#links.size > 0) this.#armTicker()
    }, this.options.heartbeatIntervalMs)
  }
}
