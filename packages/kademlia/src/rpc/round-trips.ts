/**
 * How long to wait for each contact's answer, learned from its answers as TCP learns its
 * retransmission timeout (RFC 6298): a smoothed round trip `srtt` and its variation `rttvar`,
 *
 *   first answer:  srtt = R, rttvar = R / 2
 *   each next:     rttvar = 3/4 rttvar + 1/4 |srtt - R|,  srtt = 7/8 srtt + 1/8 R
 *   timeout       = srtt + max(minRequestTimeoutMs, 4 rttvar), within
 *                   [minRequestTimeoutMs, requestTimeoutMs]
 *
 * and a timeout doubles that contact's wait (up to `requestTimeoutMs`) until it answers again.
 * A contact never heard from waits the full `requestTimeoutMs`. So a lookup that meets a crashed
 * peer one hop away waits a few of its round trips, not two seconds. At most `capacity` contacts
 * are remembered, least recently answered forgotten first.
 *
 * A lookup stops waiting on a request sooner, without failing it (`slowAfterMs`): after the
 * contact's srtt + 4 rttvar, or, for a contact never heard from, the same over the network (one
 * estimate fed by each remembered contact's first answer only, so a peer that answers fast and
 * often moves it no more than any other peer), at least `minSlowRequestMs`. A crashed stranger
 * then holds up a lookup for about one round trip of the network, not `requestTimeoutMs`, and the
 * request is not blamed: its answer still counts if it comes.
 */
import { type Id, idKey } from '../keyspace/id.ts'
import { BoundedMap } from '../platform/bounded-map.ts'

interface Smoothed {
  srtt: number
  rttvar: number
}

interface Estimate extends Smoothed {
  /** Doublings since the last answer (a timeout's backoff). */
  backoff: number
}

export interface RoundTripsOptions {
  /** The longest wait, and the wait for a contact not heard from yet. */
  requestTimeoutMs: number
  /** The shortest wait, and the least margin above the smoothed round trip. */
  minRequestTimeoutMs: number
  /** The shortest wait before a lookup stops waiting on a request (`slowAfterMs`). */
  minSlowRequestMs: number
  /** Contacts remembered. */
  capacity: number
}

export class RoundTrips {
  readonly #o: RoundTripsOptions
  readonly #estimates: BoundedMap<Estimate>
  /** Each contact's first answer's round trip, smoothed as one contact's: the estimate for a contact never heard from. */
  #network: Smoothed | undefined

  constructor(options: RoundTripsOptions) {
    this.#o = options
    this.#estimates = new BoundedMap(options.capacity)
  }

  /** How long a request to `peer` waits for its answer, in ms. */
  timeoutMs(peer: Id): number {
    const { requestTimeoutMs, minRequestTimeoutMs } = this.#o
    const estimate = this.#estimates.get(idKey(peer))
    if (estimate === undefined) return requestTimeoutMs
    const base = estimate.srtt + Math.max(minRequestTimeoutMs, 4 * estimate.rttvar)
    return Math.min(requestTimeoutMs, Math.max(minRequestTimeoutMs, base * 2 ** estimate.backoff))
  }

  /**
   * How long a lookup waits on a request to `peer` before it asks another node in its place, in
   * ms (the request goes on until `timeoutMs`); Infinity when that is not sooner than `timeoutMs`.
   */
  slowAfterMs(peer: Id): number {
    const timeout = this.timeoutMs(peer)
    const estimate = this.#estimates.get(idKey(peer)) ?? this.#network
    if (estimate === undefined) return Number.POSITIVE_INFINITY
    const slow = Math.max(this.#o.minSlowRequestMs, estimate.srtt + 4 * estimate.rttvar)
    return slow < timeout ? slow : Number.POSITIVE_INFINITY
  }

  /** `peer` answered after `ms`. */
  answered(peer: Id, ms: number): void {
    const key = idKey(peer)
    const sample = Math.max(0, ms)
    const estimate = this.#estimates.get(key)
    if (estimate === undefined) this.#network = smooth(this.#network, sample)
    this.#estimates.remember(key, { ...smooth(estimate, sample), backoff: 0 })
  }

  /** A request to `peer` timed out: its next wait doubles (up to `requestTimeoutMs`). */
  timedOut(peer: Id): void {
    const estimate = this.#estimates.get(idKey(peer))
    if (estimate !== undefined && this.timeoutMs(peer) < this.#o.requestTimeoutMs) estimate.backoff++
  }

  get size(): number {
    return this.#estimates.size
  }
}

/** RFC 6298's smoothing of one more round trip `sample` into `estimate` (the first sample starts it). */
function smooth(estimate: Smoothed | undefined, sample: number): Smoothed {
  if (estimate === undefined) return { srtt: sample, rttvar: sample / 2 }
  return {
    rttvar: 0.75 * estimate.rttvar + 0.25 * Math.abs(estimate.srtt - sample),
    srtt: 0.875 * estimate.srtt + 0.125 * sample,
  }
}
