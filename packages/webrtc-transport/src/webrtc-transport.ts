/**
 * The core's `Transport` over WebRTC data channels. It sends a DHT message on the open channel to
 * its target when there is one, else through the overlay (a RELAY frame passed along open channels
 * toward the target, RELAY.md), and only dials on its own when it has no channel at all. It
 * accepts connections offered through signaling servers or through the overlay, signs every
 * signal it sends and checks every one it receives, binds every channel to the node ID that
 * signed its handshake, watches liveness with its own heartbeat, and keeps every queue and the
 * number of connections bounded. See README.md for the frame format, the glare rule and the
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
  type Message,
  type TimerHandle,
  toHex,
  type Transport,
  type TransportHandler,
} from '@browser-dht/kademlia'
import type { TransportEvents } from './events.ts'
import { budgetVictim } from './link/budget.ts'
import { Link, type LinkHooks, type LinkState } from './link/link.ts'
import { resolveOptions, type ResolvedOptions, type WebRtcTransportOptions } from './options.ts'
import { BoundedMap } from './bounded-map.ts'
import { nextHop, relayKey, RouteHints } from './overlay/routes.ts'
import { loopbackOnly } from './signaling/loopback.ts'
import { SIGNAL_VERSION, type SignalEnvelope } from './signaling/signal.ts'
import { maxSignedBytes, openSignal, ReplayGuard, sealSignal, signalData, signalDataBytes } from './signaling/signed-signal.ts'
import type { Signaler } from './signaling/signaler.ts'
import { TransportError, TransportErrorCode } from './errors.ts'
import { type CloseReason, Counters, type DropReason, type TransportStats } from './stats.ts'
import {
  ByeReason,
  dhtFrame,
  parseUndeliverable,
  type RelayFrame,
  relayFrame,
  RelayKind,
  undeliverablePayload,
  type UndeliverableReason,
} from './wire/frames.ts'

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

/** A relay with no peer closer to its target takes a detour only while it has more hops than this. */
const DETOUR_MIN_HOPS = 3

/** Where a signal came from: a signaling server, or the overlay. */
type SignalPath = Signaler | 'overlay'

export class WebRtcTransport extends Emitter<TransportEvents> implements Transport {
  readonly id: Id
  readonly options: ResolvedOptions
  readonly #links = new Map<string, Link>()
  readonly #counters = new Counters()
  readonly #hooks: LinkHooks
  /** Signalers, each with the function that stops listening to it. */
  readonly #signalers = new Map<Signaler, () => void>()
  /** The signaler each node was last heard through or introduced by (bounded like the hints). */
  readonly #serverRoutes: BoundedMap<Signaler>
  readonly #hints: RouteHints
  /** Relays this node started lately, with their first hop, to try another after an UNDELIVERABLE. */
  readonly #sentRelays: BoundedMap<{ via: Id; retried: boolean }>
  readonly #replay: ReplayGuard
  #policy: ConnectionPolicy | undefined
  #signalSequence = 0
  #handler: TransportHandler | undefined
  /** The peer whose channel brought the DHT message being delivered (for route hints). */
  #arrivingVia: Id | undefined
  #ticker: TimerHandle | undefined
  #closed = false

  constructor(options: WebRtcTransportOptions) {
    super()
    this.options = resolveOptions(options)
    this.id = this.options.id
    this.#hints = new RouteHints(this.options.maxRouteHints)
    this.#sentRelays = new BoundedMap(this.options.maxRouteHints)
    this.#serverRoutes = new BoundedMap(this.options.maxRouteHints)
    this.#replay = new ReplayGuard(this.options.maxSeenSignals)
    this.#hooks = {
      signal: (link, signal) => {
        const flagged = link.entering && signal.kind === 'offer' ? { ...signal, first: true as const } : signal
        this.#sendSignal(link.remote, flagged, link.signalPath)
      },
      opened: (link) => this.#opened(link),
      message: (link, payload) => this.#deliver(link.remote, link.remote, payload),
      relay: (link, frame) => this.#onRelay(link, frame),
      closed: (link, reason, queuedDropped) => this.#linkClosed(link, reason, queuedDropped),
    }
    for (const signaler of this.options.signalers) this.addSignaler(signaler)
  }

  /** Carries signals through `signaler` too (one more signaling server); returns its removal. */
  addSignaler(signaler: Signaler): () => void {
    if (this.#closed || this.#signalers.has(signaler)) return () => {}
    const unlisten = signaler.listen((from, data) => this.#onServerSignal(signaler, from, data))
    this.#signalers.set(signaler, unlisten)
    return () => {
      this.#signalers.get(signaler)?.()
      this.#signalers.delete(signaler)
    }
  }

  /** `signaler`'s server knows these nodes (it named them as peers): signal them through it. */
  introduce(ids: readonly Id[], signaler: Signaler): void {
    for (const id of ids) this.#rememberServer(id, signaler)
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
    const link = this.#links.get(toHex(to))
    if (link === undefined && this.#relay(to, RelayKind.DHT, bytes)) return
    const target = link ?? this.#dial(to)
    if (target === undefined) return
    const dropped = target.sendFrame(dhtFrame(bytes))
    if (dropped !== undefined) this.#drop(dropped)
  }

  /**
   * Opens a connection to `id` (signaled through the overlay when this node has an open channel,
   * else through a signaling server) unless there is one. False when the budget has no room.
   */
  connect(id: Id): boolean {
    if (this.#closed || idEquals(id, this.id)) return false
    return this.#links.has(toHex(id)) || this.#dial(id, true) !== undefined
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
    for (const unlisten of this.#signalers.values()) unlisten()
    this.#signalers.clear()
    if (this.#ticker !== undefined) this.options.clock.clearTimeout(this.#ticker)
    this.#ticker = undefined
    for (const link of [...this.#links.values()]) link.close('transport-closed', ByeReason.LEAVING)
    this.#links.clear()
    this.#handler = undefined
  }

  /** Closes the connection to `id`, if there is one, telling the peer it is for the budget's sake. */
  disconnect(id: Id): void {
    this.#links.get(toHex(id))?.close('disconnected', ByeReason.BUDGET)
  }

  /** True when a data channel to `id` is open. */
  isConnected(id: Id): boolean {
    return this.#links.get(toHex(id))?.state === 'open'
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
    const link = this.#closed ? undefined : this.#links.get(toHex(id))
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
      const key = toHex(remote)
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

  // ---- relays (RELAY.md) ----

  /**
   * Starts a relay toward `target`; false when this node has no open channel to send it on. With
   * `avoid`, the first hop is not that peer and no hint is used (a second try after a relay gave up).
   */
  #relay(target: Id, kind: RelayKind, payload: Uint8Array, avoid?: Id): boolean {
    const hint = avoid === undefined ? this.#hints.get(target) : undefined
    const via = nextHop({ self: this.id, target, open: this.#openPeers(), hint, from: avoid, requireCloser: false })
    if (via === undefined) return false
    const frame = relayFrame({ hops: this.options.maxRelayHops, kind, target, origin: this.id, payload })
    const dropped = this.#links.get(toHex(via))!.sendFrame(frame)
    if (dropped !== undefined) {
      this.#drop(dropped)
      return true
    }
    this.#counters.relaysSent++
    if (kind !== RelayKind.UNDELIVERABLE) this.#sentRelays.remember(relayKey(target, payload), { via, retried: avoid !== undefined })
    return true
  }

  #onRelay(link: Link, frame: RelayFrame): void {
    if (!link.takeRelayToken(this.options.clock.now())) return this.#drop('relay-rate-limited')
    if (idEquals(frame.origin, this.id)) {
      // One of this node's own relays came back round: it is not getting through that way.
      this.#drop('relay-loop')
      if (frame.kind !== RelayKind.UNDELIVERABLE) this.#relayFailed(frame.target, frame.kind, frame.payload.slice())
      return
    }
    // The reverse path: whoever brought a relay from `origin` leads back toward it.
    if (!idEquals(frame.origin, link.remote)) this.#hints.learn(frame.origin, link.remote, 'reverse')
    if (idEquals(frame.target, this.id)) return this.#relayArrived(link, frame)
    if (frame.hops <= 1) return this.#giveUp('relay-hop-limit', frame)
    const direct = this.#links.get(toHex(frame.target))
    const open = this.#openPeers()
    const hint = this.#hints.get(frame.target)
    const next =
      direct?.state === 'open'
        ? direct.remote
        : (nextHop({ self: this.id, target: frame.target, open, hint, from: link.remote, requireCloser: true }) ??
          // No peer makes progress: while hops are left, a detour through the closest other peer.
          (frame.hops > DETOUR_MIN_HOPS ? nextHop({ self: this.id, target: frame.target, open, from: link.remote, requireCloser: false }) : undefined))
    if (next === undefined) return this.#giveUp('relay-no-route', frame)
    const dropped = this.#links.get(toHex(next))!.sendFrame(relayFrame({ ...frame, hops: frame.hops - 1 }))
    if (dropped !== undefined) return this.#giveUp('relay-queue-full', frame)
    this.#counters.relaysForwarded++
  }

  /** Drops a relay this node cannot pass on, and tells its origin why (unless it was a notice itself). */
  #giveUp(reason: UndeliverableReason, frame: RelayFrame): void {
    this.#drop(reason)
    if (frame.kind === RelayKind.UNDELIVERABLE) return
    this.#relay(frame.origin, RelayKind.UNDELIVERABLE, undeliverablePayload(reason, frame))
  }

  #relayArrived(link: Link, frame: RelayFrame): void {
    this.#counters.relaysReceived++
    if (frame.kind === RelayKind.SIGNAL) return this.#onSignedBytes(frame.payload, 'overlay', frame.origin)
    if (frame.kind === RelayKind.DHT) return this.#deliver(frame.origin, link.remote, frame.payload)
    const notice = parseUndeliverable(frame.payload)
    if (notice === undefined) return this.#drop('malformed-relay')
    this.#counters.undeliverable[notice.reason]++
    this.#relayFailed(notice.target, notice.kind, notice.payload.slice())
  }

  /** A relay this node started will not arrive (an UNDELIVERABLE came back, or it came back itself). */
  #relayFailed(target: Id, kind: RelayKind, payload: Uint8Array): void {
    // Once, the relay is tried again along another first hop, while its request still waits.
    const sent = this.#sentRelays.take(relayKey(target, payload))
    if (sent !== undefined && !sent.retried && this.#relay(target, kind, payload, sent.via)) {
      this.#counters.relaysRetried++
      return
    }
    // A signal the overlay could not deliver goes through a signaling server instead, if any.
    if (kind === RelayKind.SIGNAL) return this.#signalViaServer(target, payload)
    // A request that cannot arrive fails now, not after its timeout.
    const decoded = decodeMessage(payload, this.options.limits)
    if (decoded.ok) this.#handler?.onUndeliverable?.(target, decoded.message)
  }

  /** Route hints from a NODES answer: the peer that brought it leads toward the nodes it lists. */
  #learnFrom(message: Message): void {
    const via = this.#arrivingVia
    if (via === undefined || message.type !== 'NODES') return
    for (const id of message.nodes) if (!idEquals(id, this.id)) this.#hints.learn(id, via, 'referral')
  }

  // ---- signals (signed-signal.ts) ----

  #onServerSignal(signaler: Signaler, from: unknown, data: unknown): void {
    if (this.#closed) return
    const bytes = signalDataBytes(data, maxSignedBytes(this.options.maxSignalBytes))
    if (bytes === undefined || !(from instanceof Uint8Array)) {
      this.#counters.signalsRejected.malformed++
      return this.#drop('bad-signal')
    }
    this.#onSignedBytes(bytes, signaler, from)
  }

  /** A signed signal from `claimed` (as its carrier says) arrived through `path`. */
  #onSignedBytes(bytes: Uint8Array, path: SignalPath, claimed: Id): void {
    if (this.#closed) return
    const { clock, maxSignalBytes, maxSignalAgeMs } = this.options
    const result = openSignal(bytes, { self: this.id, now: clock.now(), maxSignalBytes, maxSignalAgeMs, replay: this.#replay })
    if (!result.ok) {
      this.#counters.signalsRejected[result.reason]++
      return this.#drop('bad-signal')
    }
    const { from } = result.opened
    if (!idEquals(from, claimed)) return this.#drop('bad-signal')
    if (path !== 'overlay') this.#rememberServer(from, path)
    const signal = this.options.loopbackOnly ? loopbackOnly(result.opened.signal) : result.opened.signal
    if (signal === undefined) return this.#drop('non-loopback-candidate')
    this.#counters.signalsReceived++
    const existing = this.#links.get(toHex(from))
    if (existing !== undefined && existing.session === signal.session) {
      if (signal.kind === 'refuse') {
        if (existing.initiator && existing.state === 'connecting') existing.close('refused')
        return
      }
      const dropped = existing.signal(signal)
      if (dropped !== undefined) this.#drop(dropped)
      return
    }
    if (signal.kind !== 'offer') return this.#drop('stale-signal')
    this.#onOffer(from, existing, signal, path === 'overlay' ? 'overlay' : 'server')
  }

  /** An offer for a new connection attempt from `from`. */
  #onOffer(from: Id, existing: Link | undefined, offer: SignalEnvelope, path: Link['signalPath']): void {
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
      this.#sendSignal(from, { v: SIGNAL_VERSION, session: offer.session, kind: 'refuse' }, path)
      return
    }
    const link = this.#createLink(from, offer.session, false, path)
    if (link === undefined) return this.#drop('connect-failed', carried.length)
    for (const frame of carried) {
      const dropped = link.sendFrame(frame)
      if (dropped !== undefined) this.#drop(dropped)
    }
    const dropped = link.signal(offer)
    if (dropped !== undefined) this.#drop(dropped)
  }

  #sendSignal(to: Id, envelope: SignalEnvelope, path: Link['signalPath']): void {
    if (this.#closed) return
    const signal = this.options.loopbackOnly ? loopbackOnly(envelope) : envelope
    if (signal === undefined) return this.#drop('non-loopback-candidate')
    const sequence = this.#signalSequence
    this.#signalSequence = (sequence + 1) >>> 0
    const bytes = sealSignal(this.options.identity, to, sequence, this.options.clock.now(), signal)
    this.#counters.signalsSent++
    if (path === 'overlay' && this.#relay(to, RelayKind.SIGNAL, bytes)) {
      this.#counters.signalsViaOverlay++
      return
    }
    this.#signalViaServer(to, bytes)
  }

  /** Sends signed bytes through the server that knows `to`, or through every server when none is known. */
  #signalViaServer(to: Id, bytes: Uint8Array): void {
    const known = this.#serverRoutes.get(toHex(to))
    const carriers = known !== undefined && this.#signalers.has(known) ? [known] : [...this.#signalers.keys()]
    const data = signalData(bytes)
    let sent = false
    for (const signaler of carriers) {
      try {
        sent = signaler.send(to, data) || sent
      } catch {
        // Best effort: another carrier, or the connect timeout, takes it from here.
      }
    }
    if (sent) this.#counters.signalsViaServer++
    else this.#drop('no-signal-route')
  }

  #rememberServer(id: Id, signaler: Signaler): void {
    this.#serverRoutes.remember(toHex(id), signaler)
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
