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
 */
import { type Id, idKey } from '../keyspace/id.ts'
import { BoundedMap } from '../platform/bounded-map.ts'

interface Estimate {
  srtt: number
  rttvar: number
  /** Doublings since the last answer (a timeout's backoff). */
  backoff: number
}

export interface RoundTripsOptions {
  /** The longest wait, and the wait for a contact not heard from yet. */
  requestTimeoutMs: number
  /** The shortest wait, and the least margin above the smoothed round trip. */
  minRequestTimeoutMs: number
  /** Contacts remembered. */
  capacity: number
}

export class RoundTrips {
  readonly #o: RoundTripsOptions
  readonly #estimates: BoundedMap<Estimate>

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

  /** `peer` answered after `ms`. */
  answered(peer: Id, ms: number): void {
    const key = idKey(peer)
    const estimate = this.#estimates.get(key)
    const sample = Math.max(0, ms)
    if (estimate === undefined) {
      this.#estimates.remember(key, { srtt: sample, rttvar: sample / 2, backoff: 0 })
      return
    }
    estimate.rttvar = 0.75 * estimate.rttvar + 0.25 * Math.abs(estimate.srtt - sample)
    estimate.srtt = 0.875 * estimate.srtt + 0.125 * sample
    estimate.backoff = 0
    this.#estimates.remember(key, estimate)
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
