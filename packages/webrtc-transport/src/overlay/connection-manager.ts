/**
 * Which peers a node keeps connections to, chosen by Kademlia's logic within the budget of
 * `maxConnections`: one contact in every non-empty bucket first (so every relay can make
 * progress toward any target), then its closest neighbours, then more contacts per bucket
 * (farthest buckets first, they cover the most keyspace), preferring peers it is already
 * connected to, so long-lived connections stay, and otherwise the contacts closest to itself
 * (so that different nodes pick different peers in a bucket, not all the same old ones). Everything else reaches its target through relays
 * (RELAY.md); the manager only dials the wanted set, through the overlay, a few at a time, and
 * backs off from peers that refused, failed or closed on it for their own budget's sake.
 *
 * The transport enforces the budget: it never closes a wanted connection to make room, and
 * closes the least recently used idle unwanted one when it needs room.
 */
import { backoffMs, type BucketView, type Clock, compareDistance, type Contact, cryptoRandom, type Id, idEquals, type Random, type TimerHandle, toHex } from '@browser-dht/kademlia'
import type { WebRtcTransport } from '../webrtc-transport.ts'
import { type ManagerTunables, resolveManagerTunables } from './manager-options.ts'

/** The part of the routing table the manager reads (a `RoutingTable` is one). */
export interface TableView {
  readonly self: Id
  buckets(): BucketView[]
  closest(target: Id, n: number, exclude?: (contact: Contact) => boolean): Id[]
}

export interface WantedQuery {
  table: TableView
  /** How many peers to want at most. */
  size: number
  neighbours: number
  /** True for peers with a connection now (preferred within a bucket). */
  connected: (id: Id) => boolean
  /** True for peers not to want now (they refused or failed lately): the next contact is taken instead. */
  avoid?: (id: Id) => boolean
}

/** The peers a node wants connections to, most wanted first. Pure: the same table gives the same set. */
export function wantedPeers(query: WantedQuery): Id[] {
  const { table, size, connected } = query
  const avoid = query.avoid ?? ((): boolean => false)
  const out: Id[] = []
  const taken = new Set<string>()
  const take = (id: Id): void => {
    const key = toHex(id)
    if (out.length >= size || taken.has(key) || avoid(id)) return
    taken.add(key)
    out.push(id)
  }
  const self = table.self
  const buckets = table.buckets().map((bucket) => {
    // A contact whose last request failed may be gone: not worth a connection until it answers.
    const contacts = bucket.contacts.filter((contact) => contact.failures === 0 && !avoid(contact.id))
    contacts.sort((a, b) => Number(connected(b.id)) - Number(connected(a.id)) || compareDistance(self, a.id, b.id))
    return contacts
  })
  // First one contact in every non-empty bucket, nearest bucket first: with that, a relay can
  // always pass a frame to a peer sharing a longer prefix with the target (RELAY.md).
  for (let i = buckets.length - 1; i >= 0; i--) {
    const first = buckets[i]![0]
    if (first !== undefined) take(first.id)
  }
  // Then the closest contacts until `neighbours` are wanted, then round after round one more
  // contact per bucket, farthest first.
  for (const id of table.closest(self, query.neighbours + size, (contact) => contact.failures > 0)) {
    if (taken.size >= query.neighbours) break
    take(id)
  }
  for (let round = 1; out.length < size; round++) {
    let any = false
    for (const contacts of buckets) {
      const contact = contacts[round]
      if (contact === undefined) continue
      any = true
      take(contact.id)
    }
    if (!any) break
  }
  return out
}

export interface ConnectionManagerOptions extends Partial<ManagerTunables> {
  transport: WebRtcTransport
  table: TableView
  clock: Clock
  /**
   * Called when a connection to a contact failed to open (timeout or error, not a refusal): the
   * node should ask it something (a DHT PING, by relay), so that a contact that is gone fails its
   * requests and leaves the routing table instead of being dialed again and again.
   */
  check?: (id: Id) => void
  /** Draws each redial wait around its value (`backoffMs`). Default: the core's `cryptoRandom()`. */
  random?: Pick<Random, 'float'>
}

export interface ManagerStats {
  /** Size of the wanted set at the last pass. */
  wanted: number
  /** Of those, connected (open or connecting). */
  wantedConnected: number
  /** Connections this manager asked the transport to open. */
  dialed: number
  /** Peers it is leaving alone for now. */
  backingOff: number
}

export class ConnectionManager {
  readonly options: ManagerTunables
  readonly #transport: WebRtcTransport
  readonly #table: TableView
  readonly #clock: Clock
  readonly #random: Pick<Random, 'float'>
  #wanted = new Set<string>()
  /** Peer (hex) → clock time before which it is not dialed again, and the failures in a row. */
  readonly #backoff = new Map<string, { until: number; failures: number }>()
  readonly #check: ((id: Id) => void) | undefined
  readonly #unsubscribe: (() => void)[]
  #timer: TimerHandle | undefined
  /** Clock time the scheduled pass runs at, and the wait before it. */
  #dueAt = 0
  #waitMs: number
  #running = false
  #dialed = 0
  #lastWanted = 0
  #lastWantedConnected = 0

  constructor(options: ConnectionManagerOptions) {
    this.options = resolveManagerTunables(options)
    this.#transport = options.transport
    this.#table = options.table
    this.#clock = options.clock
    this.#random = options.random ?? cryptoRandom()
    this.#check = options.check
    this.#waitMs = this.options.intervalMs
    const transport = this.#transport
    transport.setPolicy({ wanted: (id) => this.#wanted.has(toHex(id)) })
    this.#unsubscribe = [
      transport.on('connect:failed', ({ id, reason }) => {
        this.#backOff(id)
        if (reason === 'connect-timeout' || reason === 'error') this.#check?.(id)
        this.#wake()
      }),
      transport.on('peer:connected', ({ id }) => {
        this.#backoff.delete(toHex(id))
        this.#wake()
      }),
      transport.on('peer:disconnected', ({ id, reason }) => {
        if (reason === 'remote-evicted') this.#backOff(id)
        this.#wake()
      }),
    ]
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#schedule()
  }

  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#transport.setPolicy(undefined)
  }

  /** True when `id` is in the wanted set of the last pass. */
  wants(id: Id): boolean {
    return this.#wanted.has(toHex(id))
  }

  stats(): ManagerStats {
    const now = this.#clock.now()
    let backingOff = 0
    for (const entry of this.#backoff.values()) if (entry.until > now) backingOff++
    return { wanted: this.#lastWanted, wantedConnected: this.#lastWantedConnected, dialed: this.#dialed, backingOff }
  }

  /** One pass: recompute the wanted set and dial what is missing of it. */
  reconcile(): void {
    const transport = this.#transport
    const budget = transport.options.maxConnections
    const peers = transport.peers()
    const now = this.#clock.now()
    // Entries stay past their time (they remember failures in a row) until twice the longest wait.
    for (const [key, entry] of this.#backoff) if (entry.until + this.options.maxRetryAfterMs <= now) this.#backoff.delete(key)
    const linked = new Set(peers.map((peer) => toHex(peer.id)))
    const size = Math.max(1, Math.min(budget - 1, Math.ceil(budget * this.options.wantedShare)))
    const wanted = wantedPeers({
      table: this.#table,
      size,
      neighbours: this.options.neighbours,
      connected: (id) => linked.has(toHex(id)),
      avoid: (id) => (this.#backoff.get(toHex(id))?.until ?? 0) > now && !linked.has(toHex(id)),
    })
    const before = this.#wanted
    this.#wanted = new Set(wanted.map((id) => toHex(id)))
    this.#lastWanted = wanted.length
    this.#lastWantedConnected = wanted.filter((id) => linked.has(toHex(id))).length
    const quiet = this.#lastWantedConnected === wanted.length && before.size === this.#wanted.size && [...before].every((key) => this.#wanted.has(key))
    this.#waitMs = quiet ? Math.min(this.#waitMs * 2, this.options.quietIntervalMs) : this.options.intervalMs
    let dialing = peers.filter((peer) => peer.state === 'connecting' && peer.initiator).length
    for (const id of wanted) {
      if (dialing >= this.options.maxDialing) break
      const key = toHex(id)
      if (linked.has(key) || (this.#backoff.get(key)?.until ?? 0) > now || idEquals(id, this.#table.self)) continue
      if (!transport.connect(id)) break // no room: every connection is wanted or busy
      this.#dialed++
      dialing++
    }
  }

  #backOff(id: Id): void {
    const key = toHex(id)
    const failures = (this.#backoff.get(key)?.failures ?? 0) + 1
    const wait = backoffMs(failures, { baseMs: this.options.retryAfterMs, maxMs: this.options.maxRetryAfterMs }, this.#random)
    this.#backoff.set(key, { until: this.#clock.now() + wait, failures })
  }

  #schedule(): void {
    if (!this.#running) return
    this.#dueAt = this.#clock.now() + this.#waitMs
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.reconcile()
      this.#schedule()
    }, this.#waitMs)
  }

  /** Something changed: the next pass runs within `intervalMs`, however quiet the last ones were. */
  #wake(): void {
    this.#waitMs = this.options.intervalMs
    if (this.#timer === undefined || this.#dueAt <= this.#clock.now() + this.options.intervalMs) return
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#schedule()
  }
}
