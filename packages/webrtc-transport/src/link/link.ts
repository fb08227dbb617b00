/**
 * One peer connection: a simple-peer instance, or a direct link's socket (direct/DIRECT.md), bound
 * to the node ID it was signaled with, its state, its connect timer, its rate limits and the
 * frames that arrive on it. The parts are each in a file of their own: its negotiation
 * (negotiation.ts), its outgoing queue (send-queue.ts), its heartbeat and probes (pings.ts, over
 * heartbeat.ts). The transport owns the table of links
 * (transport/link-table.ts); a link reports back through `LinkHooks` and, once closed, holds no
 * timer and no reference the transport needs to clear.
 */
import { type Id, type TimerHandle, TokenBucket } from '@browser-dht/kademlia'
import type { PeerEvents, PeerLike } from '../peer/peer.ts'
import type { ResolvedOptions } from '../options.ts'
import { TransportError, TransportErrorCode } from '../errors.ts'
import type { SignalEnvelope } from '../signaling/signal.ts'
import type { CloseReason, Counters, DropReason } from '../stats.ts'
import { byeFrame, ByeReason, parseFrame, pongFrame, type RelayFrame, type UndeliverableFrame } from '../wire/frames.ts'
import { Negotiation } from './negotiation.ts'
import { Pings } from './pings.ts'
import { SendQueue } from './send-queue.ts'

export type LinkState = 'connecting' | 'open' | 'closed'

export interface LinkHooks {
  /** An offer, answer or candidate of this link to send to its remote. */
  signal(link: Link, signal: SignalEnvelope): void
  opened(link: Link): void
  /** A DHT message (without its frame type byte) arrived. */
  message(link: Link, payload: Uint8Array): void
  /** A RELAY frame arrived (to pass on, or for this node). */
  relay(link: Link, frame: RelayFrame): void
  /** An UNDELIVERABLE frame arrived (about a relay this node started or passed on). */
  undeliverable(link: Link, frame: UndeliverableFrame): void
  /** A NEIGHBOURS frame arrived: the remote's open links. */
  neighbours(link: Link, ids: Id[]): void
  /** The link closed; `queuedDropped` frames were still waiting. */
  closed(link: Link, reason: CloseReason, queuedDropped: number): void
}

export interface LinkInit {
  remote: Id
  /** Map key of `remote` (its `idKey`). */
  key: string
  session: number
  initiator: boolean
  options: ResolvedOptions
  counters: Counters
  hooks: LinkHooks
  /** A dial that offers a direct link first (DIRECT.md): no WebRTC unless the remote declines. */
  offersDirect?: boolean
}

export class Link {
  readonly remote: Id
  readonly key: string
  readonly session: number
  readonly initiator: boolean
  readonly createdAt: number
  /** How this connection's signals travel: through overlay relays, or a signaling server (the first ones, and a fallback). */
  signalPath: 'overlay' | 'server' = 'server'
  /** Dialed while this node had no other open connection: its offer says so (`first`). */
  entering = false
  /** The newest seq of the remote's signals applied here: only a later offer replaces the connection. */
  remoteSeq: number | undefined = undefined
  /** Frames of any type the remote may still send now (`frameRatePerSecond`, `frameBurst`). */
  readonly #frames: TokenBucket
  /** Public-key operations the remote's frames may still cost this node (`authRatePerSecond`, `authBurst`). */
  readonly #auth: TokenBucket
  #state: LinkState = 'connecting'
  #openedAt: number | undefined
  /** Last time a DHT message went either way (heartbeats do not count). */
  #lastUsed: number
  #peer: PeerLike | undefined
  /** What the peer connection reports to: the link (`#peer` is made with these). */
  readonly #events: PeerEvents
  /** The connection is a direct link (DIRECT.md), not WebRTC. */
  #direct = false
  #connectTimer: TimerHandle | undefined
  readonly #negotiation: Negotiation
  readonly #queue: SendQueue
  readonly #pings: Pings
  readonly #o: ResolvedOptions
  readonly #counters: Counters
  readonly #hooks: LinkHooks

  /** Creates the peer connection; throws what the peer factory throws. */
  constructor(init: LinkInit) {
    this.remote = init.remote
    this.key = init.key
    this.session = init.session
    this.initiator = init.initiator
    const o = (this.#o = init.options)
    const counters = (this.#counters = init.counters)
    this.#hooks = init.hooks
    this.createdAt = o.clock.now()
    this.#lastUsed = this.createdAt
    const now = (): number => o.clock.now()
    this.#frames = new TokenBucket({ burst: o.frameBurst, perSecond: o.frameRatePerSecond, now })
    this.#auth = new TokenBucket({ burst: o.authBurst, perSecond: o.authRatePerSecond, now })
    const peer = (): PeerLike | undefined => this.#peer
    const failed = (): void => this.close('error')
    const { session, initiator } = init
    const send = (signal: SignalEnvelope): void => this.#hooks.signal(this, signal)
    this.#negotiation = new Negotiation({ session, initiator, maxEarlyCandidates: o.maxEarlyCandidates, counters, peer, send, failed })
    this.#queue = new SendQueue({ options: o, counters, peer, isOpen: () => this.#state === 'open', failed })
    this.#pings = new Pings({ options: o, counters, createdAt: this.createdAt, send: (frame) => this.#queue.send(frame) })
    this.#events = {
      signal: (data) => {
        if (this.#state !== 'closed') this.#negotiation.emitted(data)
      },
      connect: () => this.#onConnect(),
      data: (data) => this.#onData(data),
      close: () => this.close('remote-closed'),
      error: () => this.close('error'),
    }
    // A dial makes its WebRTC offer now, unless it offers a direct link first (`offersDirect`); the
    // answering side makes its peer connection when a WebRTC offer comes.
    if (init.initiator && init.offersDirect !== true) this.#startWebRtc()
    this.#connectTimer = o.clock.setTimeout(() => {
      this.#connectTimer = undefined
      if (this.#state === 'connecting') this.close('connect-timeout')
    }, o.connectTimeoutMs)
  }

  get state(): LinkState {
    return this.#state
  }

  get openedAt(): number | undefined {
    return this.#openedAt
  }

  get lastUsed(): number {
    return this.#lastUsed
  }

  /** Round trip of the last answered PING, in ms. */
  get rttMs(): number | undefined {
    return this.#pings.rttMs
  }

  get queued(): number {
    return this.#queue.length
  }

  /** Open, nothing queued, and no DHT message either way for `idleAfterMs`. */
  isIdle(now: number): boolean {
    return this.#state === 'open' && this.#queue.length === 0 && now - this.#lastUsed >= this.#o.idleAfterMs
  }

  /** Sends a DHT or RELAY frame now, or queues it; returns why it was dropped, if it was. */
  sendFrame(frame: Uint8Array): DropReason | undefined {
    if (this.#state === 'closed') return 'link-closed'
    this.#lastUsed = this.#o.clock.now()
    return this.#queue.push(frame)
  }

  /** True when the connection is a direct link (DIRECT.md) rather than WebRTC. */
  get direct(): boolean {
    return this.#direct
  }

  /** Hands a signal from the remote to the peer connection (made now for a WebRTC offer). */
  signal(signal: SignalEnvelope): DropReason | undefined {
    if (this.#state === 'closed' || this.#direct) return 'stale-signal'
    if (signal.kind === 'offer' && !this.initiator && this.#peer === undefined && !this.#tryStartWebRtc()) return 'peer-create-failed'
    return this.#negotiation.apply(signal)
  }

  /** The remote declined this dial's direct offer: it goes on as WebRTC. */
  useWebRtc(): DropReason | undefined {
    if (this.#state !== 'connecting' || !this.initiator || this.#peer !== undefined) return 'stale-signal'
    return this.#tryStartWebRtc() ? undefined : 'peer-create-failed'
  }

  /** A direct link was authenticated for this connection: `make` wraps it, and the link is open. */
  attach(make: (events: PeerEvents) => PeerLike): void {
    if (this.#state !== 'connecting' || this.#peer !== undefined) return
    this.#direct = true
    this.#peer = make(this.#events)
    this.#onConnect()
  }

  /** Empties the queue and returns what was in it (to carry it over to another link). */
  takeQueue(): Uint8Array[] {
    return this.#queue.take()
  }

  /** One heartbeat tick (open links only). */
  tick(now: number): void {
    if (this.#state !== 'open') return
    if (this.#pings.tick(now)) this.close('heartbeat')
  }

  /** The round trip of one probe PING (pings.ts); rejects with ERR_NOT_CONNECTED unless open. */
  probe(): Promise<number> {
    if (this.#state !== 'open') {
      return Promise.reject(new TransportError(TransportErrorCode.NOT_CONNECTED, 'the data channel is not open'))
    }
    return this.#pings.probe()
  }

  /**
   * Takes a token for one public-key operation (a signature check, a MAC key's derivation) that a
   * frame from this remote asks of this node: false beyond `authRatePerSecond` after `authBurst`.
   */
  takeAuthToken(): boolean {
    return this.#auth.take()
  }

  /**
   * Closes the connection and forgets it; idempotent. With `bye`, an open channel first tells the
   * remote why (BYE), and the peer connection is torn down `byeLingerMs` later so the frame goes
   * out; the link counts as closed at once.
   */
  close(reason: CloseReason, bye?: ByeReason): void {
    if (this.#state === 'closed') return
    const sayBye = bye !== undefined && this.#state === 'open'
    this.#state = 'closed'
    const { clock } = this.#o
    if (this.#connectTimer !== undefined) clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#queue.stop()
    this.#pings.stop(reason)
    const queuedDropped = this.#queue.take().length
    this.#negotiation.stop()
    const peer = this.#peer
    this.#peer = undefined
    const destroy = (): void => {
      try {
        peer?.destroy()
      } catch {
        // Already torn down; nothing left to release.
      }
    }
    if (sayBye && peer !== undefined) {
      try {
        peer.send(byeFrame(bye))
        this.#counters.framesSent++
      } catch {
        // The channel is going anyway.
      }
      clock.setTimeout(destroy, this.#o.byeLingerMs)
    } else {
      destroy()
    }
    this.#hooks.closed(this, reason, queuedDropped)
  }

  #startWebRtc(): void {
    const o = this.#o
    this.#peer = o.peerFactory({ initiator: this.initiator, iceServers: o.iceServers, loopbackOnly: o.loopbackOnly }, this.#events)
  }

  /** Makes the WebRTC peer connection; false (and the link closed) when the factory threw. */
  #tryStartWebRtc(): boolean {
    try {
      this.#startWebRtc()
      return true
    } catch {
      this.close('error')
      return false
    }
  }

  #onConnect(): void {
    if (this.#state !== 'connecting') return
    const now = this.#o.clock.now()
    this.#state = 'open'
    this.#openedAt = now
    this.#pings.heard(now)
    if (this.#connectTimer !== undefined) this.#o.clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#hooks.opened(this)
    this.#queue.drain()
  }

  #onData(data: unknown): void {
    if (this.#state === 'closed') return
    const now = this.#o.clock.now()
    this.#pings.heard(now)
    this.#counters.framesReceived++
    if (data instanceof Uint8Array) this.#counters.bytesReceived += data.length
    if (!this.#frames.take()) return this.#counters.drop('frame-rate-limited')
    const result = parseFrame(data, this.#o.limits.maxMessageBytes, this.#o.maxRelayBodyBytes)
    if (!result.ok) {
      this.#counters.drop(result.reason)
      return
    }
    const { frame } = result
    if (frame.type === 'ping') {
      if (this.#state === 'open') this.#queue.send(pongFrame(frame.nonce))
    } else if (frame.type === 'pong') {
      this.#pings.pong(frame.nonce, now)
    } else if (frame.type === 'bye') {
      this.close(frame.reason === ByeReason.LEAVING ? 'remote-left' : 'remote-evicted')
      return
    } else if (frame.type === 'relay') {
      this.#lastUsed = now
      this.#hooks.relay(this, frame)
    } else if (frame.type === 'undeliverable') {
      this.#hooks.undeliverable(this, frame)
    } else if (frame.type === 'neighbours') {
      if (this.#state === 'open') this.#hooks.neighbours(this, frame.ids)
    } else {
      this.#lastUsed = now
      this.#hooks.message(this, frame.payload)
    }
    if (this.#queue.length > 0) this.#queue.drain()
  }
}
