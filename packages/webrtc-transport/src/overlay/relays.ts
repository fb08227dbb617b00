/**
 * Relays on the way (RELAY.md): the relays this node starts (first hop, one retry along another
 * first hop after an UNDELIVERABLE) and the relays of others it passes on. Authenticating a relay
 * is the endpoints' business (auth/relay-seal.ts, signed-signal.ts); a node in the middle cannot
 * check who sent a frame, so it learns nothing from one: it only passes it on, with these bounds:
 *
 * - hops: a frame arriving with more than `maxRelayHops` is clamped to it (counted);
 * - loops: a node passes each frame (named by target, origin and seq) on at most once within
 *   `relayMemoryMs`; a second copy is dropped as `relay-loop` (and UNDELIVERABLE goes back);
 * - detours: a frame with no peer closer to its target takes one detour at most (a flag bit);
 * - UNDELIVERABLE goes back to the peer that brought the frame, never across the overlay to an
 *   origin nobody here can authenticate, and a node passes one back only if it came from the peer
 *   it handed that very frame to. The origin accepts it only from the first hop it used.
 *
 * The same memory of forwarded frames routes replies: a relay naming `replyTo` goes back the way
 * the frame with that seq came, when this node passed that frame on. A node on the way learns the
 * way back to an origin only from what it can check: the origin's presence in a DHT relay (`passedOn`).
 */
import { BoundedMap, type Clock, type Id, idEquals, idKey } from '@browser-dht/kademlia'
import type { Sequencer } from '../auth/sequencer.ts'
import type { ResolvedOptions } from '../options.ts'
import type { Counters, DropReason } from '../stats.ts'
import {
  type RelayFrame,
  type RelayId,
  relayFrame,
  RelayKind,
  undeliverableFrame,
  type UndeliverableFrame,
  type UndeliverableReason,
} from '../wire/frames.ts'
import type { Neighbours } from './neighbours.ts'
import { type Hint, nextHop, RouteHints } from './routes.ts'

/** A relay with no peer closer to its target takes a detour only while it has more hops than this. */
const DETOUR_MIN_HOPS = 3

/** What the router needs of the transport's connections. */
export interface RelayLinks {
  /** Peers with an open data channel, but `except`. */
  open(except?: Id): Id[]
  isOpen(id: Id): boolean
  /** Sends a frame on the connection to `to`; returns why it was dropped, if it was. */
  send(to: Id, frame: Uint8Array): DropReason | undefined
}

/** A relay this node started, remembered to try another way once after an UNDELIVERABLE. */
export interface OwnRelay {
  target: Id
  kind: RelayKind
  /** DHT: the encoded message (sealed afresh for a retry); SIGNAL: the signed signal. */
  payload: Uint8Array
  via: Id
  retried: boolean
  /** A DHT request (its answer is expected back): it may go through a peer's listing of the target. */
  request: boolean
}

/** A relay of others this node passed on: which peer brought it, which one it went to. */
interface Forwarded {
  from: Id
  to: Id
  at: number
}

export interface RelayRouterInit {
  self: Id
  options: ResolvedOptions
  counters: Counters
  links: RelayLinks
  /** Which peer listed which target among its open links (neighbours.ts). */
  neighbours: Pick<Neighbours, 'via' | 'sent' | 'unlist'>
  sequencer: Sequencer
  /** The authenticated body of a DHT relay of this node's (auth/relay-seal.ts). */
  seal(relay: { target: Id; seq: number; replyTo: number }, message: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** A relay of this node's will not arrive, even after its retry. */
  failed(relay: OwnRelay): void
  /**
   * A DHT relay was passed on for others, from the peer `from`: the transport may check its
   * origin's presence and, if new and valid, learn the way back to the origin (`hints`).
   */
  passedOn(frame: RelayFrame, from: Id): void
}

function keyOf(relay: RelayId): string {
  return `${idKey(relay.target)}${idKey(relay.origin)}${relay.seq}`
}

export class RelayRouter {
  readonly hints: RouteHints
  readonly #o: RelayRouterInit
  readonly #clock: Clock
  /** This node's relays that may still get an UNDELIVERABLE, by frame key. */
  readonly #own: BoundedMap<OwnRelay>
  /** Others' relays passed on lately, by frame key (loops, UNDELIVERABLE and replies go back by it). */
  readonly #forwarded: BoundedMap<Forwarded>

  constructor(init: RelayRouterInit) {
    this.#o = init
    this.#clock = init.options.clock
    this.hints = new RouteHints(init.options.maxRouteHints)
    this.#own = new BoundedMap(init.options.maxRouteHints)
    this.#forwarded = new BoundedMap(init.options.maxForwardedRelays)
  }

  /**
   * Starts a relay of `payload` from this node toward `target`; false when no open channel can
   * take it (then nothing is sent). With `avoid`, the first hop is not that peer and no hint is
   * used (the retry after an UNDELIVERABLE). A `request` may go through a peer that lists the
   * target (neighbours.ts).
   */
  start(target: Id, kind: RelayKind, payload: Uint8Array, avoid?: Id, request = false): boolean {
    const hint = avoid === undefined ? this.hints.get(target) : undefined
    // Whether any channel can take it (a peer that lists the target is one of them).
    if (this.#firstHop(target, hint, avoid, false) === undefined) return false
    const seq = this.#o.sequencer.next()
    const replyTo = hint?.kind === 'reverse' ? (hint.seq ?? 0) : 0
    const send = (body: Uint8Array): void => {
      // Sealing may have taken a moment: the first hop is chosen from the channels open now.
      const via = this.#firstHop(target, hint, avoid, request)
      const own: OwnRelay = { target, kind, payload, via: via ?? target, retried: avoid !== undefined, request }
      if (via === undefined) return this.#ownFailed(own)
      const frame = relayFrame({ hops: this.#o.options.maxRelayHops, kind, detoured: false, target, origin: this.#o.self, seq, replyTo, body })
      const dropped = this.#o.links.send(via, frame)
      if (dropped !== undefined) return this.#o.counters.drop(dropped)
      this.#o.counters.relaysSent++
      if (request) this.#o.neighbours.sent(target, via, seq)
      this.#own.remember(keyOf({ target, origin: this.#o.self, seq }), own)
    }
    if (kind === RelayKind.SIGNAL) {
      send(payload)
      return true
    }
    const sealed = this.#o.seal({ target, seq, replyTo }, payload)
    if (sealed instanceof Uint8Array) send(sealed)
    else sealed.then(send, () => this.#o.counters.drop('seal-failed'))
    return true
  }

  /** A relay for another node arrived from the peer `from`: pass it on, or say why not. */
  forward(from: Id, frame: RelayFrame): void {
    const { counters, options, links } = this.#o
    const key = keyOf(frame)
    if (idEquals(frame.origin, this.#o.self)) {
      // One of this node's own relays came back round: it is not getting through that way.
      counters.drop('relay-loop')
      const own = this.#own.take(key)
      if (own !== undefined) this.#ownFailed(own)
      return
    }
    const now = this.#clock.now()
    const seen = this.#forwarded.get(key)
    // A copy of a frame this node passed on already: the path ran in a circle (or a peer replays).
    if (seen !== undefined && now - seen.at < options.relayMemoryMs) return this.#giveUp('relay-loop', frame, from)
    let hops = frame.hops
    if (hops > options.maxRelayHops) {
      hops = options.maxRelayHops
      counters.relaysClamped++
    }
    if (hops <= 1) return this.#giveUp('relay-hop-limit', frame, from)
    let detoured = frame.detoured
    let next = this.#nextHop(from, frame, now)
    if (next === undefined && !detoured && hops > DETOUR_MIN_HOPS) {
      // No peer makes progress: while hops are left, one detour through the closest other peer.
      next = nextHop({ self: this.#o.self, target: frame.target, open: links.open(), from, requireCloser: false })
      detoured = next !== undefined
    }
    if (next === undefined) return this.#giveUp('relay-no-route', frame, from)
    const dropped = links.send(next, relayFrame({ ...frame, hops: hops - 1, detoured }))
    if (dropped !== undefined) return this.#giveUp('relay-queue-full', frame, from)
    this.#forwarded.remember(key, { from, to: next, at: now })
    counters.relaysForwarded++
    if (frame.kind === RelayKind.DHT) this.#o.passedOn(frame, from)
  }

  /** An UNDELIVERABLE arrived from the peer `from`. */
  undeliverable(from: Id, notice: UndeliverableFrame): void {
    const { counters, links } = this.#o
    const key = keyOf(notice)
    if (idEquals(notice.origin, this.#o.self)) {
      const own = this.#own.get(key)
      // Only the first hop this node handed the relay to can say it did not get through.
      if (own === undefined || !idEquals(own.via, from)) return counters.drop('undeliverable-unmatched')
      this.#own.take(key)
      counters.undeliverable[notice.reason]++
      this.#stale(notice, from)
      return this.#ownFailed(own)
    }
    const forwarded = this.#forwarded.get(key)
    if (forwarded === undefined || !idEquals(forwarded.to, from)) return counters.drop('undeliverable-unmatched')
    this.#stale(notice, from)
    const dropped = links.send(forwarded.from, undeliverableFrame(notice.reason, notice))
    if (dropped === undefined) counters.undeliverablePassedBack++
  }

  /**
   * A relay handed to `via` did not get through: a hint for its target through `via` is stale (the
   * target left, or the path it retraced is gone), so the next relay goes by distance instead of
   * wandering after it. A full queue says nothing about the path and forgets nothing.
   */
  #stale(notice: UndeliverableFrame, via: Id): void {
    if (notice.reason === 'relay-queue-full') return
    const forgotten = this.#o.neighbours.unlist(notice.target, via)
    if (this.hints.forget(notice.target, via) || forgotten) this.#o.counters.hintsForgotten++
  }

  /** For a request, a peer that lists the target comes first (two hops); then the hint, then the greedy hop. */
  #firstHop(target: Id, hint: Hint | undefined, avoid: Id | undefined, request: boolean): Id | undefined {
    const listed = request ? this.#o.neighbours.via(target, avoid) : undefined
    if (listed !== undefined) return listed
    return nextHop({ self: this.#o.self, target, open: this.#o.links.open(), hint, from: avoid, requireCloser: false })
  }

  /** The peer a frame from `from` goes to next, with no detour; undefined when none makes progress. */
  #nextHop(from: Id, frame: RelayFrame, now: number): Id | undefined {
    const { links } = this.#o
    if (links.isOpen(frame.target)) return frame.target
    if (frame.replyTo !== 0) {
      // A reply goes back the way the relay it answers came, if this node passed that one on.
      const answered = this.#forwarded.get(keyOf({ target: frame.origin, origin: frame.target, seq: frame.replyTo }))
      if (answered !== undefined && now - answered.at < this.#o.options.relayMemoryMs && !idEquals(answered.from, from) && links.isOpen(answered.from)) {
        return answered.from
      }
    }
    const hint = this.hints.get(frame.target)
    return nextHop({ self: this.#o.self, target: frame.target, open: links.open(), hint, from, requireCloser: true })
  }

  /** Drops a relay this node cannot pass on and tells the peer that brought it. */
  #giveUp(reason: UndeliverableReason, frame: RelayFrame, from: Id): void {
    this.#o.counters.drop(reason)
    this.#o.links.send(from, undeliverableFrame(reason, frame))
  }

  /** A relay of this node's will not get through the way it went: once, another way; else give up. */
  #ownFailed(own: OwnRelay): void {
    if (!own.retried && this.start(own.target, own.kind, own.payload, own.via, own.request)) {
      this.#o.counters.relaysRetried++
      return
    }
    this.#o.failed(own)
  }
}
