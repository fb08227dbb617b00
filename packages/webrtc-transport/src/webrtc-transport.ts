/**
 * The core's `Transport` over WebRTC data channels. It connects on demand when `send` targets a
 * node it has no channel to, accepts connections offered through the `Signaler`, binds every
 * channel to the node ID it was signaled with (that ID is the `from` of everything received on
 * it), watches liveness with its own heartbeat, and keeps every queue and the number of
 * connections bounded. See README.md for the frame format, the glare rule and the budget policy.
 */
import {
  compareBytes,
  deliverBytes,
  Emitter,
  encodeMessage,
  type Id,
  ID_BYTES,
  idEquals,
  type Message,
  type TimerHandle,
  toHex,
  type Transport,
  type TransportHandler,
} from '@browser-dht/kademlia'
import type { TransportEvents } from './events.ts'
import { idleVictim } from './link/budget.ts'
import { Link, type LinkHooks, type LinkState } from './link/link.ts'
import { resolveOptions, type ResolvedOptions, type WebRtcTransportOptions } from './options.ts'
import { loopbackOnly } from './signaling/loopback.ts'
import { parseSignal, SIGNAL_VERSION, type SignalEnvelope } from './signaling/signal.ts'
import { TransportError, TransportErrorCode } from './errors.ts'
import { type CloseReason, Counters, type DropReason, type TransportStats } from './stats.ts'
import { dhtFrame } from './wire/frames.ts'

export interface PeerInfo {
  id: Id
  state: Exclude<LinkState, 'closed'>
  /** True when this node dialed. */
  initiator: boolean
  /** Round trip of the last answered heartbeat PING, in ms. */
  rttMs: number | undefined
  /** Last time a DHT message went either way (clock ms). */
  lastUsed: number
}

export class WebRtcTransport extends Emitter<TransportEvents> implements Transport {
  readonly id: Id
  readonly options: ResolvedOptions
  readonly #links = new Map<string, Link>()
  readonly #counters = new Counters()
  readonly #hooks: LinkHooks
  readonly #unlisten: () => void
  #handler: TransportHandler | undefined
  #ticker: TimerHandle | undefined
  #closed = false

  constructor(options: WebRtcTransportOptions) {
    super()
    this.options = resolveOptions(options)
    this.id = this.options.id
    this.#hooks = {
      signal: (link, signal) => this.#sendSignal(link.remote, signal),
      opened: (link) => this.#opened(link),
      message: (link, payload) => this.#deliver(link, payload),
      closed: (link, reason, queuedDropped) => this.#linkClosed(link, reason, queuedDropped),
    }
    this.#unlisten = this.options.signaler.listen((from, signal) => this.#onSignal(from, signal))
  }

  send(to: Id, message: Message): void {
    if (this.#closed) return this.#drop('transport-closed')
    if (idEquals(to, this.id)) return this.#drop('self')
    const bytes = encodeMessage(message)
    if (bytes.length > this.options.limits.maxMessageBytes) return this.#drop('message-too-large')
    const link = this.#links.get(toHex(to)) ?? this.#dial(to)
    if (link === undefined) return
    const dropped = link.sendDht(dhtFrame(bytes))
    if (dropped !== undefined) this.#drop(dropped)
  }

  listen(handler: TransportHandler): void {
    this.#handler = handler
  }

  /** Closes every connection, stops listening for signals and drops everything. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unlisten()
    if (this.#ticker !== undefined) this.options.clock.clearTimeout(this.#ticker)
    this.#ticker = undefined
    for (const link of [...this.#links.values()]) link.close('transport-closed')
    this.#links.clear()
    this.#handler = undefined
  }

  /** Closes the connection to `id`, if there is one. */
  disconnect(id: Id): void {
    this.#links.get(toHex(id))?.close('disconnected')
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

  /** Makes room for one more connection if the budget is full; false when it cannot. */
  #makeRoom(): boolean {
    if (this.#links.size < this.options.maxConnections) return true
    const victim = idleVictim(this.#links.values(), this.options.clock.now())
    if (victim === undefined) return false
    victim.close('evicted')
    return this.#links.size < this.options.maxConnections
  }

  #dial(to: Id): Link | undefined {
    if (!this.#makeRoom()) {
      this.#drop('budget-full')
      return undefined
    }
    const session = Math.floor(this.options.random.float() * 2 ** 32)
    return this.#createLink(Uint8Array.from(to), session, true)
  }

  #createLink(remote: Id, session: number, initiator: boolean): Link | undefined {
    let link: Link
    try {
      const key = toHex(remote)
      link = new Link({ remote, key, session, initiator, options: this.options, counters: this.#counters, hooks: this.#hooks })
    } catch {
      this.#drop('peer-create-failed')
      return undefined
    }
    this.#links.set(link.key, link)
    this.#counters.connectionsCreated++
    this.#armTicker()
    return link
  }

  #onSignal(from: unknown, raw: unknown): void {
    if (this.#closed) return
    if (!(from instanceof Uint8Array) || from.length !== ID_BYTES || idEquals(from, this.id)) return this.#drop('bad-signal')
    const parsed = parseSignal(raw, this.options.maxSignalBytes)
    if (!parsed.ok) return this.#drop('bad-signal')
    const signal = this.options.loopbackOnly ? loopbackOnly(parsed.signal) : parsed.signal
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
    this.#onOffer(Uint8Array.from(from), existing, signal)
  }

  /** An offer for a new connection attempt from `from`. */
  #onOffer(from: Id, existing: Link | undefined, offer: SignalEnvelope): void {
    let carried: Uint8Array[] = []
    if (existing !== undefined && existing.initiator && existing.state === 'connecting') {
      // Glare: both dialed. The connection dialed by the lower ID is kept.
      if (compareBytes(this.id, from) < 0) return this.#drop('glare')
      carried = existing.takeQueue()
      existing.close('glare-lost')
    } else if (existing !== undefined) {
      // The remote started over, so it no longer uses the connection this node still has.
      existing.close('replaced')
    } else if (!this.#makeRoom()) {
      this.#drop('refused')
      this.#sendSignal(from, { v: SIGNAL_VERSION, session: offer.session, kind: 'refuse' })
      return
    }
    const link = this.#createLink(from, offer.session, false)
    if (link === undefined) return this.#drop('connect-failed', carried.length)
    for (const frame of carried) {
      const dropped = link.sendDht(frame)
      if (dropped !== undefined) this.#drop(dropped)
    }
    const dropped = link.signal(offer)
    if (dropped !== undefined) this.#drop(dropped)
  }

  #sendSignal(to: Id, envelope: SignalEnvelope): void {
    if (this.#closed) return
    const signal = this.options.loopbackOnly ? loopbackOnly(envelope) : envelope
    if (signal === undefined) return this.#drop('non-loopback-candidate')
    try {
      this.options.signaler.send(to, signal)
      this.#counters.signalsSent++
    } catch {
      this.#drop('signal-failed')
    }
  }

  #opened(link: Link): void {
    this.#counters.connectionsOpened++
    const connectMs = (link.openedAt ?? link.createdAt) - link.createdAt
    this.emit('peer:connected', { id: link.remote, initiator: link.initiator, connectMs })
  }

  #deliver(link: Link, payload: Uint8Array): void {
    if (this.#handler === undefined) return this.#drop('no-handler')
    deliverBytes(this.#handler, link.remote, payload, this.options.limits)
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
