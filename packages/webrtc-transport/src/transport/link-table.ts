/**
 * The transport's link table and its connection budget: every connection, connecting or open,
 * by node ID, and never more than `maxConnections` of them. A new connection (a dial, or an offer
 * taken) gets room only if there is a free slot or one that may be closed for it (link/budget.ts
 * picks which, asking the `ConnectionPolicy`). The heartbeat timer ticks every link while there
 * is any, so an idle transport holds no timer.
 */
import { type Id, idEquals, idKey, type TimerHandle } from '@browser-dht/kademlia'
import type { DirectPlug } from '../direct/plug.ts'
import { budgetVictim } from '../link/budget.ts'
import { Link, type LinkHooks, type LinkState } from '../link/link.ts'
import type { ResolvedOptions } from '../options.ts'
import type { CloseReason, Counters, DropReason } from '../stats.ts'
import { ByeReason } from '../wire/frames.ts'

export interface PeerInfo {
  id: Id
  state: Exclude<LinkState, 'closed'>
  /** True when this node dialed. */
  initiator: boolean
  /** Round trip of the last answered heartbeat PING, in ms. */
  rttMs: number | undefined
  /** Last time a DHT message or relay went either way (clock ms). */
  lastUsed: number
  /** When the data channel opened (clock ms), if it has. */
  openedAt: number | undefined
  /** A direct link (DIRECT.md), not WebRTC. */
  direct: boolean
}

/** Which connections a node wants to keep. The transport never closes a wanted one to make room. */
export interface ConnectionPolicy {
  wanted(id: Id): boolean
}

export interface LinkTableInit {
  options: ResolvedOptions
  counters: Counters
  /** What every link reports to. */
  hooks: LinkHooks
  /** The direct-link plug, if this node has one: a dial offers a direct link first when it listens. */
  direct(): DirectPlug | undefined
}

export class LinkTable {
  readonly #links = new Map<string, Link>()
  readonly #o: ResolvedOptions
  readonly #counters: Counters
  readonly #hooks: LinkHooks
  readonly #direct: () => DirectPlug | undefined
  #policy: ConnectionPolicy | undefined
  #ticker: TimerHandle | undefined
  #closed = false

  constructor(init: LinkTableInit) {
    this.#o = init.options
    this.#counters = init.counters
    this.#hooks = init.hooks
    this.#direct = init.direct
  }

  /** Connections, connecting or open. */
  get size(): number {
    return this.#links.size
  }

  get(id: Id): Link | undefined {
    return this.#links.get(idKey(id))
  }

  has(id: Id): boolean {
    return this.#links.has(idKey(id))
  }

  /** True when a data channel to `id` is open. */
  isOpen(id: Id): boolean {
    return this.get(id)?.state === 'open'
  }

  /** Peers with an open data channel, but `except`. */
  openPeers(except?: Id): Id[] {
    const open: Id[] = []
    for (const link of this.#links.values()) {
      if (link.state === 'open' && (except === undefined || !idEquals(link.remote, except))) open.push(link.remote)
    }
    return open
  }

  /** The links whose data channel is open. */
  *openLinks(): IterableIterator<Link> {
    for (const link of this.#links.values()) if (link.state === 'open') yield link
  }

  /** Sets the policy that decides which connections are kept when the budget is full. */
  setPolicy(policy: ConnectionPolicy | undefined): void {
    this.#policy = policy
  }

  /** Makes room for one more connection if the budget is full; false when it cannot. */
  makeRoom(incoming: boolean): boolean {
    if (this.#links.size < this.#o.maxConnections) return true
    const policy = this.#policy
    const victim = budgetVictim(this.#links.values(), {
      now: this.#o.clock.now(),
      wanted: policy === undefined ? undefined : (link) => policy.wanted(link.remote),
      minConnectionAgeMs: this.#o.minConnectionAgeMs,
      incoming,
    })
    if (victim === undefined) return false
    victim.close('evicted', ByeReason.BUDGET)
    return this.#links.size < this.#o.maxConnections
  }

  /** Dials `to`; with `quiet`, no room is not counted as a dropped message (there is none). */
  dial(to: Id, quiet = false): Link | undefined {
    if (!this.makeRoom(false)) {
      if (!quiet) this.#drop('budget-full')
      return undefined
    }
    const session = Math.floor(this.#o.random.float() * 2 ** 32)
    const entering = this.openPeers(to).length === 0
    const direct = this.#direct()
    const offersDirect = direct?.offers === true
    const link = this.create(Uint8Array.from(to), session, true, entering ? 'server' : 'overlay', offersDirect)
    if (link === undefined) return undefined
    link.entering = entering
    if (offersDirect) direct?.offer(link)
    return link
  }

  /** A new connection to `remote` (in place of any other in the table); undefined when the peer factory threw. */
  create(remote: Id, session: number, initiator: boolean, path: Link['signalPath'], offersDirect = false): Link | undefined {
    let link: Link
    try {
      const key = idKey(remote)
      link = new Link({ remote, key, session, initiator, options: this.#o, counters: this.#counters, hooks: this.#hooks, offersDirect })
    } catch {
      this.#drop('peer-create-failed')
      return undefined
    }
    link.signalPath = path
    this.#links.set(link.key, link)
    this.#counters.connectionsCreated++
    this.#counters.peakConnections = Math.max(this.#counters.peakConnections, this.#links.size)
    this.#armTicker()
    return link
  }

  /**
   * `link` closed (its `closed` hook): it leaves the table, unless a newer connection took its
   * place, and its reason and lost frames are counted. True when its data channel had opened.
   */
  remove(link: Link, reason: CloseReason, queuedDropped: number): boolean {
    if (this.#links.get(link.key) === link) this.#links.delete(link.key)
    this.#counters.closed[reason]++
    const wasOpen = link.openedAt !== undefined
    if (queuedDropped > 0) this.#drop(wasOpen ? 'link-closed' : 'connect-failed', queuedDropped)
    return wasOpen
  }

  /** Every connection, connecting or open. */
  peers(): PeerInfo[] {
    return [...this.#links.values()].map((link) => ({
      id: link.remote,
      state: link.state === 'open' ? 'open' : 'connecting',
      initiator: link.initiator,
      rttMs: link.rttMs,
      lastUsed: link.lastUsed,
      openedAt: link.openedAt,
      direct: link.direct,
    }))
  }

  /** Open data channels. */
  openCount(): number {
    let open = 0
    for (const link of this.#links.values()) if (link.state === 'open') open++
    return open
  }

  /** Stops the heartbeat timer and closes every connection with `bye`; the table takes no more. */
  close(bye: ByeReason): void {
    this.#closed = true
    if (this.#ticker !== undefined) this.#o.clock.clearTimeout(this.#ticker)
    this.#ticker = undefined
    for (const link of [...this.#links.values()]) link.close('transport-closed', bye)
    this.#links.clear()
  }

  #drop(reason: DropReason, count = 1): void {
    this.#counters.drop(reason, count)
  }

  /** The heartbeat timer runs while there is any connection, so an idle transport holds no timer. */
  #armTicker(): void {
    if (this.#ticker !== undefined || this.#closed) return
    this.#ticker = this.#o.clock.setTimeout(() => {
      this.#ticker = undefined
      const now = this.#o.clock.now()
      for (const link of [...this.#links.values()]) link.tick(now)
      if (this.#links.size > 0) this.#armTicker()
    }, this.#o.heartbeatIntervalMs)
  }
}
