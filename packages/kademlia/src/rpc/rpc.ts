/**
 * Requests and their answers: request IDs, per-request timeouts (learned per contact from its
 * round trips: round-trips.ts), the in-flight bound, and matching each response to the request
 * it answers. Knows nothing of what the requests mean.
 *
 * Request IDs are drawn at random (4 bytes from the handed `Random`) for every request: an answer
 * or an UNDELIVERABLE report is matched by (peer, rid), so a sequential rid would let anyone who
 * saw one request forge the next one's outcome.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, idEquals, shortHex } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock, Random, TimerHandle } from '../platform/platform.ts'
import type { Transport } from '../transport/transport.ts'
import { ANSWERS, type Request, type Response } from '../wire/messages.ts'
import { RoundTrips } from './round-trips.ts'

/** Draws of a random rid before falling back to the next free value (see `#allocateRid`). */
const MAX_RID_DRAWS = 8

function randomU32(random: Random): number {
  const bytes = random.bytes(4)
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
}

/** A request before it has an ID. */
export type Outgoing = Request extends infer R ? (R extends Request ? Omit<R, 'rid'> : never) : never

interface Pending {
  peer: Id
  request: Outgoing
  resolve(response: Response): void
  reject(error: DhtError): void
  timer: TimerHandle
  /** The clock's time when it was sent, for its round trip. */
  sentAt: number
  signal: AbortSignalLike | undefined
  onAbort: (() => void) | undefined
}

export interface RpcOptions {
  transport: Transport
  clock: Clock
  random: Random
  /** The longest wait for an answer, and the wait for a contact not heard from yet. */
  requestTimeoutMs: number
  /** The shortest wait (round-trips.ts). */
  minRequestTimeoutMs: number
  /** The shortest wait before a lookup asks another node in a request's place (round-trips.ts). */
  minSlowRequestMs: number
  /** Contacts whose round trips are remembered. */
  maxRoundTripContacts: number
  maxInflightRequests: number
  /** A matched answer arrived from `peer` (it is alive, whatever it answered). */
  onAnswer(peer: Id): void
  /**
   * A request to `peer` failed: it timed out, or the transport reported it undeliverable.
   * `proven` is true only for a timeout of a request the transport sent directly
   * (`transport.direct?.(peer) ?? true` when it was sent); an undeliverable report never is.
   */
  onFailure(peer: Id, proven: boolean): void
}

export class Rpc {
  readonly #options: RpcOptions
  readonly #pending = new Map<number, Pending>()
  readonly #roundTrips: RoundTrips
  /** Requests sent, by type. */
  readonly sentByType: Record<Request['type'], number> = { PING: 0, FIND_NODE: 0, FIND_VALUE: 0, STORE: 0 }
  /** Requests that failed: timed out, or reported undeliverable (not aborted, not refused). */
  failed = 0

  constructor(options: RpcOptions) {
    this.#options = options
    const { requestTimeoutMs, minRequestTimeoutMs, minSlowRequestMs, maxRoundTripContacts } = options
    this.#roundTrips = new RoundTrips({ requestTimeoutMs, minRequestTimeoutMs, minSlowRequestMs, capacity: maxRoundTripContacts })
  }

  /** How long a request to `peer` would wait for its answer now, in ms. */
  timeoutMs(peer: Id): number {
    return this.#roundTrips.timeoutMs(peer)
  }

  /** How long a lookup would wait on a request to `peer` before asking another node too (round-trips.ts). */
  slowAfterMs(peer: Id): number {
    return this.#roundTrips.slowAfterMs(peer)
  }

  /** Requests sent. */
  get sent(): number {
    const { PING, FIND_NODE, FIND_VALUE, STORE } = this.sentByType
    return PING + FIND_NODE + FIND_VALUE + STORE
  }

  get inflight(): number {
    return this.#pending.size
  }

  /** Sends `request` to `peer` and resolves with its answer (ERROR answers reject). */
  request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response> {
    const { maxInflightRequests, clock, transport } = this.#options
    if (signal?.aborted) return Promise.reject(new DhtError(ErrorCode.ABORTED, 'aborted', { cause: signal.reason }))
    if (this.#pending.size >= maxInflightRequests) {
      return Promise.reject(new DhtError(ErrorCode.TOO_MANY_REQUESTS, `${maxInflightRequests} requests already in flight`))
    }
    const rid = this.#allocateRid()
    // Decided now: whether the channel is direct may change before the request settles.
    const proven = transport.direct?.(peer) ?? true
    const timeoutMs = this.#roundTrips.timeoutMs(peer)
    return new Promise<Response>((resolve, reject) => {
      const pending: Pending = {
        peer,
        request,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        sentAt: clock.now(),
        timer: clock.setTimeout(() => {
          this.#settle(rid)
          this.#roundTrips.timedOut(peer)
          this.failed++
          this.#options.onFailure(peer, proven)
          reject(new DhtError(ErrorCode.TIMEOUT, `${request.type} to ${shortHex(peer)} timed out after ${timeoutMs} ms`))
        }, timeoutMs),
      }
      if (signal !== undefined) {
        pending.onAbort = () => {
          this.#settle(rid)
          reject(new DhtError(ErrorCode.ABORTED, 'aborted', { cause: signal.reason }))
        }
        signal.addEventListener('abort', pending.onAbort, { once: true })
      }
      this.#pending.set(rid, pending)
      this.sentByType[request.type]++
      try {
        transport.send(peer, { ...request, rid } as Request)
      } catch (error) {
        this.#settle(rid)
        reject(error instanceof DhtError ? error : new DhtError(ErrorCode.NOT_RUNNING, 'the transport refused to send', { cause: error }))
      }
    })
  }

  /**
   * Matches an incoming response. Returns an error for answers to requests never sent (or
   * already settled), for answers from a peer other than the one asked, and for answers of the
   * wrong type (which also fail the request).
   */
  answer(from: Id, response: Response): DhtError | undefined {
    const pending = this.#pending.get(response.rid)
    if (pending === undefined || !idEquals(pending.peer, from)) {
      return new DhtError(ErrorCode.UNEXPECTED_RESPONSE, `${response.type} from ${shortHex(from)} answers no request of ours`)
    }
    this.#settle(response.rid)
    this.#roundTrips.answered(from, this.#options.clock.now() - pending.sentAt)
    this.#options.onAnswer(from)
    if (!ANSWERS[pending.request.type].includes(response.type)) {
      const error = new DhtError(ErrorCode.WRONG_RESPONSE_TYPE, `${response.type} does not answer ${pending.request.type}`)
      pending.reject(error)
      return error
    } else if (response.type === 'ERROR') {
      const message = `${shortHex(from)} answered ${pending.request.type} with error ${response.code}`
      pending.reject(new DhtError(ErrorCode.REMOTE_ERROR, message, { remoteCode: response.code }))
    } else {
      pending.resolve(response)
    }
    return undefined
  }

  /**
   * The transport says `request` to `peer` will not arrive: it fails now with ERR_UNREACHABLE,
   * reported as an unproven failure (a relay may say so falsely). Anything else is ignored.
   */
  undeliverable(peer: Id, rid: number): void {
    const pending = this.#pending.get(rid)
    if (pending === undefined || !idEquals(pending.peer, peer)) return
    this.#settle(rid)
    this.failed++
    this.#options.onFailure(peer, false)
    pending.reject(new DhtError(ErrorCode.UNREACHABLE, `${pending.request.type} to ${shortHex(peer)} cannot be delivered`))
  }

  /** Rejects every waiting request (on stop). */
  cancelAll(error: DhtError): void {
    for (const [rid, pending] of this.#pending) {
      this.#settle(rid)
      pending.reject(error)
    }
  }

  #settle(rid: number): void {
    const pending = this.#pending.get(rid)
    if (pending === undefined) return
    this.#pending.delete(rid)
    this.#options.clock.clearTimeout(pending.timer)
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
  }

  /**
   * A random rid no pending request uses. A collision is redrawn; a source that keeps colliding
   * (only a broken one could: at most `maxInflightRequests` of 2^32 values are taken) falls back to
   * the next free value, so a bad Random cannot hang the node.
   */
  #allocateRid(): number {
    let rid = randomU32(this.#options.random)
    for (let draws = 1; this.#pending.has(rid) && draws < MAX_RID_DRAWS; draws++) rid = randomU32(this.#options.random)
    while (this.#pending.has(rid)) rid = (rid + 1) >>> 0
    return rid
  }
}
