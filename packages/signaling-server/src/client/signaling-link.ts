/**
 * A node's connection to one signaling server: connect and register, hand the peers the server
 * gives to `onPeers`, and when the server is unreachable or the connection drops, say so and try
 * again every `retryMs`. (The `SignalingClient` itself does not reconnect: each attempt is a new
 * client.) Used by browser tabs and Node peers alike.
 */
import { type Clock, systemClock, type TimerHandle } from '@browser-dht/kademlia'
import type { Identity } from '../identity.ts'
import { CloseCode } from '../protocol/error-codes.ts'
import type { ClientSignaler } from './client-signaler.ts'
import { SignalingClient, type WebSocketConstructor } from './signaling-client.ts'

export type SignalingState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'unreachable'; reason: string; retryAt: number }
  /** Another tab registered with this node ID (a duplicated tab); this one stops trying. */
  | { kind: 'replaced' }

export interface SignalingLinkOptions {
  url: string
  identity: Identity
  signaler: ClientSignaler
  retryMs: number
  onPeers: (peers: readonly string[]) => void
  onState: (state: SignalingState) => void
  /** Default: the `WebSocket` global (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor
  /** Default: the core's `systemClock()`. */
  clock?: Clock
}

export class SignalingLink {
  readonly #o: SignalingLinkOptions
  #client: SignalingClient | undefined
  #state: SignalingState = { kind: 'connecting', attempt: 1 }
  #attempt = 0
  #timer: TimerHandle | undefined
  readonly #clock: Clock
  #stopped = false

  constructor(options: SignalingLinkOptions) {
    this.#o = options
    this.#clock = options.clock ?? systemClock()
  }

  get state(): SignalingState {
    return this.#state
  }

  /** The transport's signaler for this server. */
  get signaler(): ClientSignaler {
    return this.#o.signaler
  }

  start(): void {
    void this.#connect()
  }

  /** Asks the server for more random peers (when the table is empty); ignored while offline. */
  async requestPeers(): Promise<readonly string[]> {
    if (this.#client === undefined || this.#state.kind !== 'connected') return []
    return this.#client.requestPeers().catch(() => [])
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#client?.close()
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return
    this.#attempt++
    this.#setState({ kind: 'connecting', attempt: this.#attempt })
    // An UNKNOWN_PEER error (a signal for a node this server does not know) needs nothing: the
    // node may be reachable through another server or the overlay, else its dial times out.
    const client = new SignalingClient({
      url: this.#o.url,
      identity: this.#o.identity,
      connectTimeoutMs: 8000,
      ...(this.#o.WebSocket === undefined ? {} : { WebSocket: this.#o.WebSocket }),
    })
    client.on('close', ({ code }) => this.#closed(client, code))
    client.on('peers', (peers) => this.#o.onPeers(peers))
    try {
      const peers = await client.connect()
      this.#client = client
      this.#o.signaler.attach(client)
      this.#attempt = 0
      this.#setState({ kind: 'connected' })
      this.#o.onPeers(peers)
    } catch (error) {
      this.#unreachable(error instanceof Error ? error.message : String(error))
    }
  }

  #closed(client: SignalingClient, code: number): void {
    if (client !== this.#client || this.#stopped) return
    this.#client = undefined
    this.#o.signaler.attach(undefined)
    if (code === CloseCode.REPLACED) return this.#setState({ kind: 'replaced' })
    this.#unreachable(`the connection closed (code ${code})`)
  }

  #unreachable(reason: string): void {
    if (this.#stopped) return
    this.#setState({ kind: 'unreachable', reason, retryAt: this.#clock.now() + this.#o.retryMs })
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = this.#clock.setTimeout(() => void this.#connect(), this.#o.retryMs)
  }

  #setState(state: SignalingState): void {
    this.#state = state
    this.#o.onState(state)
  }
}
