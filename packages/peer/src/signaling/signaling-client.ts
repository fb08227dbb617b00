/**
 * The browser side of the handshake: connects to the signaling server over the standard
 * `WebSocket` global, answers the challenge with the node's signature, then sends and receives
 * WebRTC signals by node ID. Browser-safe: no Node built-ins, no DOM types (the WebSocket is
 * typed minimally below, so Node's or `ws`'s WebSocket class works too). It does not reconnect: `SignalingLink` does.
 */
import { type Clock, systemClock, toHex } from '@browser-dht/kademlia'
import { checkJsonObject, type ClientFrame, DEFAULT_FRAME_LIMITS, type FrameLimits, type Identity, isHex, NODE_ID_BYTES, type NodeIdHex, parseServerFrame, registerFrame, type ServerFrame, type SignalData, SignalingError, SignalingErrorCode } from '@browser-dht/signaling-server/protocol'

/** Codes of errors the client raises itself (the server's are `SignalingErrorCode`s). */
export const ClientErrorCode = {
  /** The socket is not open, or closed before registration finished. */
  CLOSED: 'ERR_CLOSED',
  /** No `registered` within `connectTimeoutMs`. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** The server sent something the protocol does not allow (unparsable frame, wrong ID). */
  PROTOCOL: 'ERR_PROTOCOL',
} as const

/** The part of the standard WebSocket this client uses. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'error', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

const OPEN = 1

export interface SignalingClientOptions {
  /** e.g. `ws://127.0.0.1:8787/signal` */
  readonly url: string
  readonly identity: Identity
  /** Default: the `WebSocket` global. */
  readonly WebSocket?: WebSocketConstructor
  /** Give up on `connect()` after this long. Default 10 s. */
  readonly connectTimeoutMs?: number
  /** Default: the core's `systemClock()`. */
  readonly clock?: Clock
  /** Bounds on frames from the server. Default: the protocol defaults. */
  readonly limits?: FrameLimits
}

export interface SignalingClientEvents {
  signal: { readonly from: NodeIdHex; readonly data: SignalData }
  peers: readonly NodeIdHex[]
  /** An error frame from the server, or a frame from it the client could not parse. */
  error: { readonly code: string; readonly message: string; readonly peer?: NodeIdHex }
  close: { readonly code: number; readonly reason: string }
}

type Listener<E extends keyof SignalingClientEvents> = (payload: SignalingClientEvents[E]) => void
type Listeners = { [E in keyof SignalingClientEvents]: Set<Listener<E>> }

export class SignalingClient {
  readonly #options: SignalingClientOptions
  readonly #limits: FrameLimits
  readonly #listeners: Listeners = { signal: new Set(), peers: new Set(), error: new Set(), close: new Set() }
  readonly #peerWaiters: { resolve: (peers: readonly NodeIdHex[]) => void; reject: (error: Error) => void }[] = []
  #socket: WebSocketLike | undefined
  #id: NodeIdHex | undefined
  /** Set on the first challenge: a server gets one signature per connection, however many it asks for. */
  #answered = false
  #peers: readonly NodeIdHex[] = []
  #connecting: { resolve: (peers: readonly NodeIdHex[]) => void; reject: (error: Error) => void } | undefined

  constructor(options: SignalingClientOptions) {
    this.#options = options
    this.#limits = options.limits ?? DEFAULT_FRAME_LIMITS
  }

  /** Our node ID (hex) once registered. */
  get id(): NodeIdHex | undefined {
    return this.#id
  }

  /** The latest random peers the server gave (on registration or `requestPeers`). */
  get peers(): readonly NodeIdHex[] {
    return this.#peers
  }

  /** Opens the socket and registers; resolves with the first peers. Call once. */
  connect(): Promise<readonly NodeIdHex[]> {
    if (this.#socket !== undefined) return Promise.reject(new SignalingError(ClientErrorCode.CLOSED, 'connect() was already called'))
    const Impl = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (Impl === undefined) return Promise.reject(new SignalingError(ClientErrorCode.CLOSED, 'no WebSocket implementation'))
    const clock = this.#options.clock ?? systemClock()
    const socket = new Impl(this.#options.url)
    this.#socket = socket
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => this.#failConnect(new SignalingError(ClientErrorCode.TIMEOUT, 'registration timed out')), this.#options.connectTimeoutMs ?? 10_000)
      this.#connecting = {
        resolve: (peers) => {
          clock.clearTimeout(timer)
          resolve(peers)
        },
        reject: (error) => {
          clock.clearTimeout(timer)
          reject(error)
        },
      }
      socket.addEventListener('message', (event) => this.#receive(event.data))
      socket.addEventListener('close', (event) => this.#closed(event.code, event.reason))
      // A failed connection fires `error` then `close`; the close carries what matters.
      socket.addEventListener('error', () => {})
    })
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof SignalingClientEvents>(event: E, listener: Listener<E>): () => void {
    const set: Set<Listener<E>> = this.#listeners[event]
    set.add(listener)
    return () => set.delete(listener)
  }

  /** Subscribes to signals from other peers (`from` is set by the server). */
  onSignal(listener: Listener<'signal'>): () => void {
    return this.on('signal', listener)
  }

  /** Sends an offer, answer or candidate to the peer `to`. Throws if not registered or invalid. */
  sendSignal(to: NodeIdHex, data: SignalData): void {
    if (this.#id === undefined) throw new SignalingError(SignalingErrorCode.NOT_REGISTERED, 'not registered')
    if (!isHex(to, NODE_ID_BYTES)) throw new SignalingError(SignalingErrorCode.INVALID_FIELD, `to must be ${NODE_ID_BYTES * 2} lowercase hex digits`)
    const checked = checkJsonObject(data, { maxBytes: this.#limits.maxSignalBytes, maxDepth: this.#limits.maxSignalDepth })
    if (!checked.ok) throw new SignalingError(checked.code, checked.message)
    this.#send({ type: 'signal', to, data: checked.value })
  }

  /** Asks the server for more random peers; resolves with the next `peers` frame. */
  requestPeers(): Promise<readonly NodeIdHex[]> {
    if (this.#id === undefined) return Promise.reject(new SignalingError(SignalingErrorCode.NOT_REGISTERED, 'not registered'))
    return new Promise((resolve, reject) => {
      this.#peerWaiters.push({ resolve, reject })
      this.#send({ type: 'peers' })
    })
  }

  close(code = 1000, reason = ''): void {
    this.#socket?.close(code, reason)
  }

  #send(frame: ClientFrame): void {
    const socket = this.#socket
    if (socket === undefined || socket.readyState !== OPEN) throw new SignalingError(ClientErrorCode.CLOSED, 'the socket is not open')
    socket.send(JSON.stringify(frame))
  }

  #receive(data: unknown): void {
    const parsed = typeof data === 'string' ? parseServerFrame(data, this.#limits) : undefined
    if (parsed === undefined || !parsed.ok) {
      const message = parsed?.error.message ?? 'the server sent a binary frame'
      this.#emit('error', { code: ClientErrorCode.PROTOCOL, message })
      return
    }
    this.#handle(parsed.frame)
  }

  #handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'challenge':
        if (this.#answered) return
        this.#answered = true
        void registerFrame(this.#options.identity, frame.nonce).then(
          (register) => this.#connecting !== undefined && this.#trySend(register),
          (error: unknown) => this.#failConnect(error instanceof Error ? error : new SignalingError(ClientErrorCode.PROTOCOL, 'could not sign the challenge')),
        )
        return
      case 'registered':
        return this.#registered(frame.id, frame.peers)
      case 'signal':
        return this.#emit('signal', { from: frame.from, data: frame.data })
      case 'peers':
        this.#peers = frame.peers
        this.#peerWaiters.shift()?.resolve(frame.peers)
        return this.#emit('peers', frame.peers)
      case 'error':
        this.#emit('error', frame.peer === undefined ? { code: frame.code, message: frame.message } : { code: frame.code, message: frame.message, peer: frame.peer })
        if (this.#id === undefined) this.#failConnect(new SignalingError(frame.code, frame.message))
    }
  }

  #registered(id: NodeIdHex, peers: readonly NodeIdHex[]): void {
    if (id !== toHex(this.#options.identity.id)) {
      this.#failConnect(new SignalingError(ClientErrorCode.PROTOCOL, 'the server registered a different ID'))
      return
    }
    this.#id = id
    this.#peers = peers
    const connecting = this.#connecting
    this.#connecting = undefined
    connecting?.resolve(peers)
  }

  #trySend(frame: ClientFrame): void {
    try {
      this.#send(frame)
    } catch (error) {
      this.#failConnect(error instanceof Error ? error : new SignalingError(ClientErrorCode.CLOSED, 'send failed'))
    }
  }

  #failConnect(error: Error): void {
    const connecting = this.#connecting
    if (connecting === undefined) return
    this.#connecting = undefined
    connecting.reject(error)
    this.#socket?.close()
  }

  #closed(code: number, reason: string): void {
    this.#failConnect(new SignalingError(ClientErrorCode.CLOSED, `closed before registering (${code}${reason === '' ? '' : `: ${reason}`})`, code))
    for (const waiter of this.#peerWaiters.splice(0)) waiter.reject(new SignalingError(ClientErrorCode.CLOSED, 'closed'))
    this.#id = undefined
    this.#emit('close', { code, reason })
  }

  #emit<E extends keyof SignalingClientEvents>(event: E, payload: SignalingClientEvents[E]): void {
    const set: Set<Listener<E>> = this.#listeners[event]
    for (const listener of set) listener(payload)
  }
}
