/**
 * One peer connection: a simple-peer instance bound to the node ID it was signaled with, its
 * outgoing queue (while connecting, and while the channel is above its high-water mark), its
 * heartbeat and its timers. The transport owns the map of links; a link reports back through
 * `LinkHooks` and, once closed, holds no timer and no reference the transport needs to clear.
 */
import { type Id, type TimerHandle, TokenBucket } from '@browser-dht/kademlia'
import type { PeerLike, PeerSignal } from '../peer/peer.ts'
import type { ResolvedOptions } from '../options.ts'
import { TransportError, TransportErrorCode } from '../errors.ts'
import { envelopeOf, type SignalEnvelope, withoutCandidates } from '../signaling/signal.ts'
import type { CloseReason, Counters, DropReason } from '../stats.ts'
import { byeFrame, ByeReason, parseFrame, pingFrame, pongFrame, type RelayFrame, type UndeliverableFrame } from '../wire/frames.ts'
import { Heartbeat } from './heartbeat.ts'

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
  /** The link closed; `queuedDropped` frames were still waiting. */
  closed(link: Link, reason: CloseReason, queuedDropped: number): void
}

/** A `probe` PING waiting for its PONG. */
interface PendingProbe {
  sentAt: number
  timer: TimerHandle
  resolve(ms: number): void
  reject(error: TransportError): void
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
}

export class Link {
  readonly remote: Id
  readonly key: string
  readonly session: number
  readonly initiator: boolean
  readonly createdAt: number
  /**
   * How this connection's signals travel: through overlay relays, or through a signaling server
   * (the first connections of a node, and a fallback when the overlay cannot reach the remote).
   */
  signalPath: 'overlay' | 'server' = 'server'
  /** Dialed while this node had no other open connection: its offer says so (`first`). */
  entering = false
  /**
   * The newest seq of the remote's signals applied to this connection (its offer or answer): a
   * later offer replaces the connection only if it was signed after it (a higher seq).
   */
  remoteSeq: number | undefined = undefined
  /** Frames of any type the remote may still send now (`frameRatePerSecond`, `frameBurst`). */
  readonly #frames: TokenBucket
  /** Public-key operations the remote's frames may still cost this node (`authRatePerSecond`, `authBurst`). */
  readonly #auth: TokenBucket
  #state: LinkState = 'connecting'
  #openedAt: number | undefined
  /** Last time a DHT message went either way (heartbeats do not count). */
  #lastUsed: number
  #rttMs: number | undefined
  #ping: { nonce: number; sentAt: number } | undefined
  /** Probe PINGs in flight, by nonce; each holds its timeout timer until answered, timed out or closed. */
  readonly #probes = new Map<number, PendingProbe>()
  #queue: Uint8Array[] = []
  #queuedBytes = 0
  /** The remote's offer (answerer) or answer (dialer) has been applied; a second one is stale. */
  #described = false
  /** This side's candidates, held until the answer has been received (dialer) or sent (answerer). */
  #heldCandidates: SignalEnvelope[] | undefined = []
  #peer: PeerLike | undefined
  #connectTimer: TimerHandle | undefined
  #drainTimer: TimerHandle | undefined
  readonly #heartbeat: Heartbeat
  readonly #o: ResolvedOptions
  readonly #counters: Counters
  readonly #hooks: LinkHooks

  /** Creates the peer connection; throws what the peer factory throws. */
  constructor(init: LinkInit) {
    this.remote = init.remote
    this.key = init.key
    this.session = init.session
    this.initiator = init.initiator
    this.#o = init.options
    this.#counters = init.counters
    this.#hooks = init.hooks
    this.createdAt = this.#o.clock.now()
    this.#lastUsed = this.createdAt
    const now = (): number => this.#o.clock.now()
    this.#frames = new TokenBucket({ burst: this.#o.frameBurst, perSecond: this.#o.frameRatePerSecond, now })
    this.#auth = new TokenBucket({ burst: this.#o.authBurst, perSecond: this.#o.authRatePerSecond, now })
    this.#heartbeat = new Heartbeat(this.#o.heartbeatIntervalMs, this.#o.heartbeatMaxMissed, this.createdAt)
    this.#peer = this.#o.peerFactory(
      { initiator: init.initiator, iceServers: this.#o.iceServers, loopbackOnly: this.#o.loopbackOnly },
      {
        signal: (data) => this.#onSignal(data),
        connect: () => this.#onConnect(),
        data: (data) => this.#onData(data),
        close: () => this.close('remote-closed'),
        error: () => this.close('error'),
      },
    )
    this.#connectTimer = this.#o.clock.setTimeout(() => {
      this.#connectTimer = undefined
      if (this.#state === 'connecting') this.close('connect-timeout')
    }, this.#o.connectTimeoutMs)
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
    return this.#rttMs
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
    return this.#enqueue(frame)
  }

  /** Hands a signal from the remote to the peer connection. */
  signal(signal: SignalEnvelope): DropReason | undefined {
    if (this.#state === 'closed') return 'stale-signal'
    if (signal.kind === 'offer' || signal.kind === 'answer') {
      if (this.#described || (signal.kind === 'answer') !== this.initiator) return 'stale-signal'
      this.#described = true
    }
    let data: PeerSignal
    if (signal.kind === 'candidate') {
      const { candidate, sdpMid, sdpMLineIndex } = signal
      data = { type: 'candidate', candidate: { candidate, sdpMid, sdpMLineIndex } }
    } else if (signal.kind === 'refuse') {
      return 'stale-signal'
    } else {
      data = { type: signal.kind, sdp: signal.sdp }
    }
    try {
      this.#peer?.signal(data)
      if (signal.kind === 'answer') this.#releaseCandidates()
      return undefined
    } catch {
      this.close('error')
      return 'signal-failed'
    }
  }

  /** Empties the queue and returns what was in it (to carry it over to another link). */
  takeQueue(): Uint8Array[] {
    const queue = this.#queue
    this.#queue = []
    this.#queuedBytes = 0
    return queue
  }

  /** One heartbeat tick (open links only). */
  tick(now: number): void {
    if (this.#state !== 'open') return
    const action = this.#heartbeat.tick(now)
    if (action === 'dead') {
      this.close('heartbeat')
    } else if (action === 'ping') {
      const nonce = Math.floor(this.#o.random.float() * 2 ** 32)
      this.#ping = { nonce, sentAt: now }
      this.#counters.pingsSent++
      this.#send(pingFrame(nonce))
    }
  }

  /**
   * Sends one PING frame now, straight to the channel like the heartbeat's (not through the
   * queue), and resolves with the round trip in clock ms when the PONG with its nonce arrives.
   * Rejects with ERR_NOT_CONNECTED unless open, ERR_PROBE_TIMEOUT after `probeTimeoutMs`, and
   * ERR_LINK_CLOSED when the link closes first (also when the PING cannot be written). The PONG is
   * a frame heard from the peer, so it counts as liveness, as any frame does; it does not touch
   * the heartbeat's own PING, its `rttMs` or `lastUsed` (a probe is not use).
   */
  probe(): Promise<number> {
    if (this.#state !== 'open') {
      return Promise.reject(new TransportError(TransportErrorCode.NOT_CONNECTED, 'the data channel is not open'))
    }
    const { clock, probeTimeoutMs } = this.#o
    let nonce: number
    do nonce = Math.floor(this.#o.random.float() * 2 ** 32)
    while (this.#probes.has(nonce) || this.#ping?.nonce === nonce)
    return new Promise<number>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        this.#probes.delete(nonce)
        reject(new TransportError(TransportErrorCode.PROBE_TIMEOUT, `no PONG within ${probeTimeoutMs} ms`))
      }, probeTimeoutMs)
      this.#probes.set(nonce, { sentAt: clock.now(), timer, resolve, reject })
      this.#counters.probesSent++
      this.#send(pingFrame(nonce)) // a failed write closes the link, which rejects this probe
    })
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
    if (this.#drainTimer !== undefined) clock.clearTimeout(this.#drainTimer)
    this.#connectTimer = this.#drainTimer = undefined
    for (const probe of this.#probes.values()) {
      clock.clearTimeout(probe.timer)
      probe.reject(new TransportError(TransportErrorCode.LINK_CLOSED, `the connection closed (${reason})`))
    }
    this.#probes.clear()
    const queuedDropped = this.takeQueue().length
    this.#heldCandidates = undefined
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

  #enqueue(frame: Uint8Array): DropReason | undefined {
    if (this.#state === 'open' && this.#queue.length === 0 && this.#writable()) return this.#write(frame)
    const { maxQueuedFrames, maxQueuedBytes } = this.#o
    if (this.#queue.length >= maxQueuedFrames || this.#queuedBytes + frame.length > maxQueuedBytes) {
      return this.#state === 'open' ? 'send-queue-full' : 'pending-queue-full'
    }
    this.#queue.push(frame)
    this.#queuedBytes += frame.length
    if (this.#state === 'open') this.#armDrain()
    return undefined
  }

  #writable(): boolean {
    return (this.#peer?.bufferSize ?? 0) < this.#o.highWaterMarkBytes
  }

  #write(frame: Uint8Array): DropReason | undefined {
    try {
      this.#peer!.send(frame)
    } catch {
      this.close('error')
      return 'send-failed'
    }
    this.#counters.framesSent++
    this.#counters.bytesSent += frame.length
    return undefined
  }

  /** Writes a frame and counts it if it could not be written. */
  #send(frame: Uint8Array): void {
    const dropped = this.#write(frame)
    if (dropped !== undefined) this.#counters.drop(dropped)
  }

  #drain(): void {
    while (this.#state === 'open' && this.#queue.length > 0 && this.#writable()) {
      const frame = this.#queue.shift()!
      this.#queuedBytes -= frame.length
      this.#send(frame)
    }
    if (this.#state === 'open' && this.#queue.length > 0) this.#armDrain()
  }

  #armDrain(): void {
    if (this.#drainTimer !== undefined) return
    this.#drainTimer = this.#o.clock.setTimeout(() => {
      this.#drainTimer = undefined
      this.#drain()
    }, this.#o.drainIntervalMs)
  }

  /**
   * Passes simple-peer's signals on. This side's ICE candidates wait: on the dialing side until
   * the answer has arrived (and the offer's SDP carries none), on the answering side until the
   * answer is sent. So the answerer cannot reach the dialer before the dialer knows the
   * answerer's DTLS fingerprint (libdatachannel, as dialer, fails the DTLS handshake then,
   * while Chrome buffers it), and no candidate reaches a node before the offer it belongs to.
   * The answerer still learns the dialer's address from its connectivity checks (peer-reflexive).
   */
  #onSignal(data: unknown): void {
    if (this.#state === 'closed') return
    const envelope = envelopeOf(this.session, data)
    if (envelope === undefined) return this.#counters.drop('unsupported-signal')
    const held = this.#heldCandidates
    if (envelope.kind === 'candidate') {
      if (held === undefined) this.#hooks.signal(this, envelope)
      else if (held.length < this.#o.maxEarlyCandidates) held.push(envelope)
      else this.#counters.drop('candidate-overflow')
    } else if (envelope.kind === 'offer') {
      this.#hooks.signal(this, { ...envelope, sdp: withoutCandidates(envelope.sdp) })
    } else {
      this.#hooks.signal(this, envelope)
      if (envelope.kind === 'answer') this.#releaseCandidates()
    }
  }

  #releaseCandidates(): void {
    const held = this.#heldCandidates
    this.#heldCandidates = undefined
    for (const candidate of held ?? []) this.#hooks.signal(this, candidate)
  }

  #onConnect(): void {
    if (this.#state !== 'connecting') return
    const now = this.#o.clock.now()
    this.#state = 'open'
    this.#openedAt = now
    this.#heartbeat.heard(now)
    if (this.#connectTimer !== undefined) this.#o.clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#hooks.opened(this)
    this.#drain()
  }

  #onData(data: unknown): void {
    if (this.#state === 'closed') return
    const now = this.#o.clock.now()
    this.#heartbeat.heard(now)
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
      if (this.#state === 'open') this.#send(pongFrame(frame.nonce))
    } else if (frame.type === 'pong') {
      const probe = this.#probes.get(frame.nonce)
      if (probe !== undefined) {
        this.#probes.delete(frame.nonce)
        this.#o.clock.clearTimeout(probe.timer)
        this.#counters.probesAnswered++
        probe.resolve(now - probe.sentAt)
      } else {
        this.#counters.pongsReceived++
        if (this.#ping?.nonce === frame.nonce) this.#rttMs = now - this.#ping.sentAt
      }
    } else if (frame.type === 'bye') {
      this.close(frame.reason === ByeReason.LEAVING ? 'remote-left' : 'remote-evicted')
      return
    } else if (frame.type === 'relay') {
      this.#lastUsed = now
      this.#hooks.relay(this, frame)
    } else if (frame.type === 'undeliverable') {
      this.#hooks.undeliverable(this, frame)
    } else {
      this.#lastUsed = now
      this.#hooks.message(this, frame.payload)
    }
    if (this.#queue.length > 0) this.#drain()
  }
}
