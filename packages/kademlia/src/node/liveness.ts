/**
 * What the routing table hears, and what follows: a message from a peer updates its contact (a
 * newcomer is added and handed the records it is now among the k closest for; a full bucket
 * pings its oldest contact, ping-before-evict); a failed request counts against the contact
 * (proven or not, routing-table.ts); a removal is announced and marks the records the peer was
 * close to for churn replication (churn.ts). A contact whose last failure counted rests
 * from lookups for `failedContactRestMs` (`seeds`, `resting`), and so does a node that failed
 * while not in the table, that failing took out of it, or whose link the transport says closed
 * (`gone`, as after a proven failure): other peers still name a node that
 * left until they fail it too (a node names a contact it never asked), and without this memory
 * each of our lookups that met the name would ask it again. Such a node's rest doubles with each
 * rest in a row (the project's backoff, at most `MAX_STRANGER_REST_FACTOR` times), so a node that
 * left costs each peer a few requests, not two a minute for as long as anyone names it. A failure
 * long after the last one (more than `failedContactRestMs` after it, or after the rest it caused)
 * starts over. The rest is this node's alone, and a relay on the way can cause it as it can drop
 * the requests (SECURITY.md, "Make a node shun an honest contact").
 */
import { type Id, idKey } from '../keyspace/id.ts'
import { backoffMs } from '../platform/backoff.ts'
import { BoundedMap } from '../platform/bounded-map.ts'
import type { Random } from '../platform/platform.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { FailedResult, RoutingTable } from '../routing-table/routing-table.ts'
import type { Maintenance } from './maintenance.ts'
import type { Tunables } from './options.ts'

export interface LivenessOptions {
  table: RoutingTable
  options: Pick<Tunables, 'evictionPingAfterMs' | 'maxEvictionPings' | 'failedContactRestMs'>
  maintenance: Pick<Maintenance, 'handOff' | 'departed'>
  now(): number
  /** Draws the spread of a stranger's rest (platform/backoff.ts). */
  random: Pick<Random, 'float'>
  /** A DHT PING; an answer or a timeout comes back through `heard` / `failed`. */
  ping(peer: Id): Promise<boolean>
  emit(event: 'peer:added' | 'peer:removed', id: Id): void
}

/** Nodes outside the table remembered as failed (`resting`); the oldest forgotten first beyond. */
export const MAX_FAILED_STRANGERS = 1024
/** The longest rest of a node outside the table, in `failedContactRestMs` before the ±50 % spread (8: 4 min by default, 2 to 6 min). */
export const MAX_STRANGER_REST_FACTOR = 8

/** A node outside the table that failed. */
interface FailedStranger {
  /**
   * Failures in a row: each within `failedContactRestMs` of the one before or of the end of the
   * rest it caused; a failure later than that starts the count over.
   */
  failures: number
  /** Clock time of the last failure. */
  failedAt: number
  /** Rests in a row: failures that counted (proven, the second unproven one in a row, or the removal). */
  rests: number
  /** Clock time its rest from lookups ends. */
  restUntil: number
}

export class Liveness {
  readonly #o: LivenessOptions
  readonly #pinging = new Set<Contact>()
  /** Nodes not in the table that failed, by `idKey`. */
  readonly #failedStrangers = new BoundedMap<FailedStranger>(MAX_FAILED_STRANGERS)

  constructor(options: LivenessOptions) {
    this.#o = options
  }

  /**
   * An authenticated message from `peer` arrived that does not put it in the table (a late
   * answer): it is alive, so its rest as a node outside the table ends.
   */
  alive(peer: Id): void {
    this.#failedStrangers.take(idKey(peer))
  }

  /** A message from `peer` arrived: update the table, ping-before-evict, hand off records. */
  heard(peer: Id): void {
    this.alive(peer)
    const result = this.#o.table.heard(peer, this.#o.now())
    if (result.kind === 'added') {
      this.#o.emit('peer:added', peer)
      this.#o.maintenance.handOff(peer)
    } else if (result.kind === 'full') {
      this.#pingOldest(result.oldest)
    }
  }

  /**
   * Whether lookups leave `id` out: a contact whose last failure that counted (`failedAt`: proven,
   * or the second unproven one in a row) is younger than `failedContactRestMs`, or a node not in
   * the table whose last failure is (not heard from since).
   */
  resting(id: Id): boolean {
    const contact = this.#o.table.get(id)
    if (contact !== undefined) return this.#resting(contact)
    return (this.#failedStrangers.get(idKey(id))?.restUntil ?? 0) > this.#o.now()
  }

  /** A lookup's seeds: the k closest contacts not resting, or the k closest when fewer than alpha are. */
  seeds(target: Id, k: number, alpha: number): Id[] {
    const seeds = this.#o.table.closest(target, k, (contact) => this.#resting(contact))
    return seeds.length < alpha ? this.#o.table.closest(target, k) : seeds
  }

  #resting(contact: Contact | undefined): boolean {
    const failedAt = contact === undefined || contact.failures === 0 ? undefined : contact.failedAt
    return failedAt !== undefined && this.#o.now() - failedAt < this.#o.options.failedContactRestMs
  }

  failed(peer: Id, proven: boolean): void {
    const result = this.#o.table.failed(peer, { proven, now: this.#o.now() })
    // One unproven failure (a relay's word) does not count, as for a contact (routing-table.ts).
    if (result.kind === 'unknown' || result.kind === 'removed') this.#strangerFailed(peer, proven || result.kind === 'removed')
    this.removed(peer, result)
  }

  /**
   * The transport says `peer` is gone (its connection closed under us, or it said goodbye): it
   * leaves the table and rests from lookups as after a proven failure, until heard from. Others
   * go on naming it until they notice too; without the rest, each lookup that met the name would
   * ask it (twice, as an unproven failure counts only the second time).
   */
  gone(peer: Id): boolean {
    const result = this.#o.table.remove(peer)
    this.#strangerFailed(peer, true)
    return this.removed(peer, result)
  }

  /** A failure of `peer`, now outside the table; `counts`: it rests now, else only at the second in a row. */
  #strangerFailed(peer: Id, counts: boolean): void {
    const now = this.#o.now()
    const key = idKey(peer)
    const baseMs = this.#o.options.failedContactRestMs
    const last = this.#failedStrangers.get(key)
    const known = last !== undefined && now - Math.max(last.failedAt, last.restUntil) <= baseMs ? last : undefined
    const failures = (known?.failures ?? 0) + 1
    const restsNow = counts || failures >= 2
    const rests = (known?.rests ?? 0) + (restsNow ? 1 : 0)
    const restUntil = restsNow ? now + backoffMs(rests, { baseMs, maxMs: baseMs * MAX_STRANGER_REST_FACTOR }, this.#o.random) : (known?.restUntil ?? 0)
    this.#failedStrangers.remember(key, { failures, failedAt: now, rests, restUntil })
  }

  /**
   * Emits the events of a table removal (and of the replacement it promoted), and marks the held
   * records the peer was among the k closest for, to replicate soon; true if removed.
   */
  removed(peer: Id, result: FailedResult): boolean {
    if (result.kind !== 'removed') return false
    this.#o.maintenance.departed(peer, result.replacement?.id)
    this.#o.emit('peer:removed', peer)
    if (result.replacement !== undefined) this.#o.emit('peer:added', result.replacement.id)
    return true
  }

  #pingOldest(oldest: Contact): void {
    const { evictionPingAfterMs, maxEvictionPings } = this.#o.options
    if (this.#o.now() - oldest.lastSeen < evictionPingAfterMs) return
    if (this.#pinging.has(oldest) || this.#pinging.size >= maxEvictionPings) return
    this.#pinging.add(oldest)
    // The RPC hooks do the rest: an answer moves it to the fresh end, a timeout replaces it.
    void this.#o.ping(oldest.id).finally(() => this.#pinging.delete(oldest))
  }
}
