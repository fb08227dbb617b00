/**
 * Neighbour lists (RELAY.md): every node tells each peer it has an open link to which other peers
 * it has open links to (a NEIGHBOURS frame), and remembers what its peers told it. A request of
 * this node's for a target that one of its peers lists goes to that peer, which hands it to the
 * target on its next hop: two hops, where a greedy walk by XOR distance takes three or four. The
 * answer retraces the request's way (its reverse hint).
 *
 * A list is a peer's word, so it is used with care:
 * - only by the node that starts a relay, for a request (a node on the way cannot tell whether a
 *   listing worked; an answer goes back the way its request came);
 * - one request at a time per target, through any listing: once a request went to a peer that
 *   lists its target, no listing (that peer's or another's) carries the next request to that
 *   target until an authenticated relay from the target answers a request of this node's. So two
 *   peers that list a target, or one that replaces its link, cannot each draw and drop a request
 *   to it in a row (two failures in a row rest a contact, or replace it). What pends is
 *   remembered apart from the links, for the last MAX_PENDING_LISTED_TARGETS targets;
 * - one request at a time per listing: a peer's listing of a target is not used again until an
 *   authenticated relay from the target names the request that went through it (its `replyTo`),
 *   whatever lists the peer sends meanwhile, for as long as the link lasts;
 * - a listing whose relay comes back UNDELIVERABLE from that peer is never used again;
 * - a peer with MAX_LISTED_NEIGHBOURS listings unanswered has its lists ignored until its link
 *   closes. Lists hold at most MAX_LISTED_NEIGHBOURS IDs, only from peers with an open link, and
 *   go with the link.
 *
 * This node's own list goes out `neighbourListDelayMs` after its open links change (one frame per
 * open link; changes within the delay share it), so a quiet overlay sends none.
 */
import { BoundedMap, type Clock, type Id, idKey, type TimerHandle } from '@browser-dht/kademlia'
import type { Counters, DropReason } from '../stats.ts'
import { MAX_LISTED_NEIGHBOURS, neighboursFrame } from '../wire/frames.ts'

/** What the lists need of the transport's open links. */
export interface NeighbourLinks {
  /** The open links: the peer's ID, and the send on its connection. */
  open(): Iterable<{ remote: Id; sendFrame(frame: Uint8Array): DropReason | undefined }>
  isOpen(id: Id): boolean
}

export interface NeighboursInit {
  self: Id
  clock: Clock
  delayMs: number
  counters: Counters
  links: NeighbourLinks
}

/** Targets whose request through a listing awaits its answer, remembered at most (the oldest forgotten first). */
export const MAX_PENDING_LISTED_TARGETS = 1024

/** A listing UNDELIVERABLE came back for: no answer can name it. */
const NEVER = Number.POSITIVE_INFINITY

interface Peer {
  id: Id
  /** The IDs its latest list named (their `idKey`), but this node's own. */
  listed: Set<string>
  /** Its listings a request of this node's went through, unanswered yet: the request's seq, by target key. */
  unanswered: Map<string, number>
}

export class Neighbours {
  readonly #o: NeighboursInit
  readonly #selfKey: string
  /** Each open link's peer, by `idKey`, once it sent a list. */
  readonly #peers = new Map<string, Peer>()
  /** Targets a request of this node's went to through a peer that lists them, not answered since (by `idKey`). */
  readonly #pending = new BoundedMap<true>(MAX_PENDING_LISTED_TARGETS)
  #timer: TimerHandle | undefined
  #closed = false

  constructor(init: NeighboursInit) {
    this.#o = init
    this.#selfKey = idKey(init.self)
  }

  /** The peer `from` (an open link) listed its open links. */
  heard(from: Id, ids: readonly Id[]): void {
    this.#o.counters.neighbourListsReceived++
    const key = idKey(from)
    const known = this.#peers.get(key)
    // A peer whose lists are ignored (too many unanswered) is not worth reading.
    if (known !== undefined && known.unanswered.size >= MAX_LISTED_NEIGHBOURS) return
    const listed = new Set<string>()
    for (const id of ids) listed.add(idKey(id))
    listed.delete(this.#selfKey)
    if (known === undefined) this.#peers.set(key, { id: from, listed, unanswered: new Map() })
    else known.listed = listed
  }

  /** The link to `peer` closed: what it listed goes with it. */
  forget(peer: Id): void {
    this.#peers.delete(idKey(peer))
  }

  /**
   * A peer with an open link, but `except`, that lists `target` and may carry a request to it
   * now (no request to the target through a listing, and none through that listing, is
   * unanswered); undefined when none.
   */
  via(target: Id, except?: Id): Id | undefined {
    if (this.#peers.size === 0) return undefined
    const key = idKey(target)
    const exceptKey = except === undefined ? undefined : idKey(except)
    for (const [peerKey, peer] of this.#peers) {
      if (peerKey === exceptKey || !peer.listed.has(key)) continue
      if (this.#pending.get(key) !== undefined || peer.unanswered.has(key) || peer.unanswered.size >= MAX_LISTED_NEIGHBOURS) {
        this.#o.counters.neighbourListingsPassedOver++
        continue
      }
      if (this.#o.links.isOpen(peer.id)) return peer.id
    }
    return undefined
  }

  /** A request of this node's (relay `seq`) for `target` went to `via`: a listing of it there awaits the answer. */
  sent(target: Id, via: Id, seq: number): void {
    const key = idKey(target)
    const peer = this.#peers.get(idKey(via))
    if (peer?.listed.has(key) !== true) return
    this.#pending.remember(key, true)
    if (peer.unanswered.has(key) || peer.unanswered.size >= MAX_LISTED_NEIGHBOURS) return
    peer.unanswered.set(key, seq)
  }

  /**
   * An authenticated relay from `origin` named `replyTo`: `origin` answered a request of this
   * node's (a listing may carry the next one to it), and the listing that very request went
   * through worked.
   */
  answered(origin: Id, replyTo: number): void {
    if (replyTo === 0) return
    const key = idKey(origin)
    this.#pending.take(key)
    for (const peer of this.#peers.values()) {
      const seq = peer.unanswered.get(key)
      if (seq === replyTo) peer.unanswered.delete(key)
    }
  }

  /** A relay for `target` handed to `via` did not get through: `via`'s listing of it is not used again. True if there was one. */
  unlist(target: Id, via: Id): boolean {
    const key = idKey(target)
    const peer = this.#peers.get(idKey(via))
    if (peer?.listed.has(key) !== true || peer.unanswered.get(key) === NEVER) return false
    if (peer.unanswered.size < MAX_LISTED_NEIGHBOURS || peer.unanswered.has(key)) peer.unanswered.set(key, NEVER)
    return true
  }

  /** This node's open links changed: each open link gets the new list after the delay. */
  changed(): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined
      this.#announce()
    }, this.#o.delayMs)
  }

  /** Stops the timer; no list goes out after this. */
  close(): void {
    this.#closed = true
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#peers.clear()
  }

  #announce(): void {
    const open = [...this.#o.links.open()]
    const frame = neighboursFrame(open.map((link) => link.remote))
    for (const link of open) {
      const dropped = link.sendFrame(frame)
      if (dropped === undefined) this.#o.counters.neighbourListsSent++
      else this.#o.counters.drop(dropped)
    }
  }
}
