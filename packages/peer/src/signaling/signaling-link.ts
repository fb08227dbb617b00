/**
 * A node's connection to one signaling server: connect and register, hand the peers the server
 * gives to `onPeers`, and when the server is unreachable or the connection drops, say so and try
 * again after about `retryMs`. When the server refused it for a cap (full, too many connections or
 * registrations from its address or network: `BACK_OFF_ERROR_CODES`, `BACK_OFF_CLOSE_CODES`),
 * the wait doubles with each refusal in a row, up to `maxRetryMs`, so refused clients do not
 * hammer the server. Every wait is drawn around its value (the core's `backoffMs`, ×0.5–1.5), so
 * the tabs of a restarted server do not all come back at one instant. (The `SignalingClient` itself does not reconnect: each attempt is a new
 * client.) Used by browser tabs and Node peers alike.
 */
import { backoffMs, type Clock, cryptoRandom, type Random, systemClock, type TimerHandle } from '@browser-dht/kademlia'
import { BACK_OFF_CLOSE_CODES, BACK_OFF_ERROR_CODES, CloseCode, type Identity, SignalingError } from '@browser-dht/signaling-server/protocol'
import type { ClientSignaler } from './client-signaler.ts'
import { SignalingClient, type WebSocketConstructor } from './signaling-client.ts'

export type SignalingState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  /**
   * Not connected; trying again at `retryAt`. `reason` says why in words; `code` is the error
   * code (the server's, e.g. ERR_ADDRESS_FULL, or the client's ERR_CLOSED/ERR_TIMEOUT) and
   * `closeCode` the WebSocket close code, when known.
   */
  | { kind: 'unreachable'; reason: string; retryAt: number; code?: string; closeCode?: number }
  /** Another tab registered with this node ID (a duplicated tab); this one stops trying. */
  | { kind: 'replaced' }

export interface SignalingLinkOptions {
  url: string
  identity: Identity
  signaler: ClientSignaler
  retryMs: number
  /** Longest wait after refusals for a cap in a row (the wait doubles from `retryMs`). Default 60 s. */
  maxRetryMs?: number
  onPeers: (peers: readonly string[]) => void
  onState: (state: SignalingState) => void
  /** Default: the `WebSocket` global (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor
  /** Default: the core's `systemClock()`. */
  clock?: Clock
  /** Draws each wait around its value. Default: the core's `cryptoRandom()`. */
  random?: Pick<Random, 'float'>
}

/** `maxRetryMs` unless given: a minute, the time the server's registration buckets take to refill. */
export const DEFAULT_MAX_RETRY_MS = 60_000

interface Failure {
  readonly reason: string
  readonly code?: string
  readonly closeCode?: number
}

export class SignalingLink {
  readonly #o: SignalingLinkOptions
  #client: SignalingClient | undefined
  #state: SignalingState = { kind: 'connecting', attempt: 1 }
  #attempt = 0
  /** Refusals for a cap in a row. */
  #refusals = 0
  #timer: TimerHandle | undefined
  readonly #clock: Clock
  readonly #random: Pick<Random, 'float'>
  #stopped = false

  constructor(options: SignalingLinkOptions) {
    this.#o = options
    this.#clock = options.clock ?? systemClock()
    this.#random = options.random ?? cryptoRandom()
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
    client.on('close', ({ code, reason }) => this.#closed(client, code, reason))
    client.on('peers', (peers) => this.#o.onPeers(peers))
    try {
      const peers = await client.connect()
      this.#client = client
      this.#o.signaler.attach(client)
      this.#attempt = 0
      this.#refusals = 0
      this.#setState({ kind: 'connected' })
      this.#o.onPeers(peers)
    } catch (error) {
      this.#unreachable(failureOf(error))
    }
  }

  #closed(client: SignalingClient, code: number, reason: string): void {
    if (client !== this.#client || this.#stopped) return
    this.#client = undefined
    this.#o.signaler.attach(undefined)
    if (code === CloseCode.REPLACED) return this.#setState({ kind: 'replaced' })
    this.#unreachable({ reason: `the connection closed (code ${code}${reason === '' ? '' : `: ${reason}`})`, closeCode: code })
  }

  #unreachable(failure: Failure): void {
    if (this.#stopped) return
    const refused = (failure.code !== undefined && BACK_OFF_ERROR_CODES.has(failure.code)) || (failure.closeCode !== undefined && BACK_OFF_CLOSE_CODES.has(failure.closeCode))
    this.#refusals = refused ? this.#refusals + 1 : 0
    const { retryMs } = this.#o
    // A refusal doubles the wait (its attempt count is the refusals in a row, plus one).
    const wait = backoffMs(this.#refusals + 1, { baseMs: retryMs, maxMs: Math.max(retryMs, this.#o.maxRetryMs ?? DEFAULT_MAX_RETRY_MS) }, this.#random)
    this.#setState({ kind: 'unreachable', ...failure, retryAt: this.#clock.now() + wait })
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = this.#clock.setTimeout(() => void this.#connect(), wait)
  }

  #setState(state: SignalingState): void {
    this.#state = state
    this.#o.onState(state)
  }
}

function failureOf(error: unknown): Failure {
  if (!(error instanceof SignalingError)) return { reason: error instanceof Error ? error.message : String(error) }
  const reason = `${error.message} (${error.code})`
  return error.closeCode === undefined ? { reason, code: error.code } : { reason, code: error.code, closeCode: error.closeCode }
}
