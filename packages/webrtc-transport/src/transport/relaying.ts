/**
 * Relay routing at this node (RELAY.md): the router that starts this node's relays and passes
 * others' on (overlay/relays.ts, with its route hints), the relays that arrive for this node (a
 * DHT message is opened and authenticated by auth/relay-seal.ts before it is delivered; a signal
 * goes to signal routing), the relays of this node's that will not arrive, and the way back to an
 * origin learned from what can be checked: its relay, or a new presence in a relay passed on.
 */
import { type Id, idEquals, TokenBucket } from '@browser-dht/kademlia'
import { type OpenResult, RelayAuth } from '../auth/relay-seal.ts'
import { ReplayWindows } from '../auth/replay.ts'
import type { Link } from '../link/link.ts'
import type { Neighbours } from '../overlay/neighbours.ts'
import { type OwnRelay, RelayRouter } from '../overlay/relays.ts'
import type { RouteHints } from '../overlay/routes.ts'
import { type RelayFrame, RelayKind, type UndeliverableFrame } from '../wire/frames.ts'
import type { TransportContext } from './context.ts'

export interface RelayingInit extends TransportContext {
  /** What this node's peers said their open links are (a relay for one goes through it). */
  neighbours: Neighbours
  /** A DHT message from `from`, authenticated, that came in on `via`'s channel. */
  deliver(from: Id, via: Id, payload: Uint8Array): void
  /** A SIGNAL relay for this node arrived on `link`. */
  signal(frame: RelayFrame, link: Link): void
  /** A signal this node relayed will not arrive through the overlay. */
  signalFailed(target: Id, signed: Uint8Array): void
  /** A DHT message this node relayed will not arrive. */
  messageFailed(target: Id, encoded: Uint8Array): void
}

export class Relaying {
  readonly #o: RelayingInit
  readonly #auth: RelayAuth
  readonly #router: RelayRouter
  /** Presence checks of relays passed on for others (to learn the way back to their origins). */
  readonly #onTheWay: TokenBucket
  #closed = false

  constructor(init: RelayingInit) {
    this.#o = init
    const { options, counters, links } = init
    const { identity, clock, maxReplaySenders, replayWindow, maxAuthAgeMs, idPuzzleBits, authBurst, authRatePerSecond } = options
    this.#auth = new RelayAuth({
      identity,
      suite: init.suite,
      keys: init.keys,
      replay: new ReplayWindows(maxReplaySenders, replayWindow),
      clock,
      maxAgeMs: maxAuthAgeMs,
      idPuzzleBits,
      presenceIntervalMs: options.presenceIntervalMs,
      presenceMaxAgeMs: options.relayMemoryMs,
      maxPresences: options.maxRouteHints,
      counters,
    })
    this.#onTheWay = new TokenBucket({ burst: authBurst, perSecond: authRatePerSecond, now: () => clock.now() })
    this.#router = new RelayRouter({
      self: options.id,
      options,
      counters,
      sequencer: init.sequencer,
      links: {
        open: (except) => links.openPeers(except),
        isOpen: (id) => links.isOpen(id),
        send: (to, frame) => {
          const link = links.get(to)
          return link === undefined ? 'link-closed' : link.sendFrame(frame)
        },
      },
      neighbours: init.neighbours,
      seal: (relay, message) => this.#auth.seal(relay, message),
      failed: (relay) => this.#failed(relay),
      passedOn: (frame, from) => this.#learnOnTheWay(frame, from),
    })
  }

  /** Which peer leads toward which target. */
  get hints(): RouteHints {
    return this.#router.hints
  }

  /** Starts a relay of `payload` toward `to` (a DHT `request` may go through a peer's listing of `to`); false when no open channel can take it. */
  start(to: Id, kind: RelayKind, payload: Uint8Array, request = false): boolean {
    return this.#router.start(to, kind, payload, undefined, request)
  }

  /** A RELAY frame arrived on `link`: passed on, or (for this node) opened. */
  arrived(link: Link, frame: RelayFrame): void {
    if (!idEquals(frame.target, this.#o.options.id)) return this.#router.forward(link.remote, frame)
    const { counters } = this.#o
    counters.relaysReceived++
    if (frame.kind === RelayKind.SIGNAL) return this.#o.signal(frame, link)
    const budget = (): boolean => link.takeAuthToken() && ++counters.authOperations > 0
    const opened = (result: OpenResult): void => {
      if (this.#closed) return
      if (!result.ok) {
        counters.relaysRejected[result.reason]++
        return counters.drop('relay-unauthenticated')
      }
      // The origin proved itself: the way this came leads back to it, and replies name its seq.
      this.#router.hints.learn(frame.origin, link.remote, 'reverse', frame.seq)
      this.#o.neighbours.answered(frame.origin, frame.replyTo)
      this.#o.deliver(frame.origin, link.remote, result.message)
    }
    const result = this.#auth.open(frame, budget)
    if (result instanceof Promise) void result.then(opened)
    else opened(result)
  }

  /** An UNDELIVERABLE frame arrived on `link`. */
  undeliverable(link: Link, frame: UndeliverableFrame): void {
    this.#router.undeliverable(link.remote, frame)
  }

  /** The transport closed: what is still being checked is dropped. */
  close(): void {
    this.#closed = true
  }

  /**
   * A DHT relay passed on for others: if it brings a new presence of its origin (presence.ts), the
   * peer that brought it leads back to that origin. Checked after the frame went on, so it never
   * delays it; within a budget of its own (the rate of `authRatePerSecond`), since nothing here is
   * owed to anyone.
   */
  #learnOnTheWay(frame: RelayFrame, from: Id): void {
    const { counters } = this.#o
    const budget = (): boolean => this.#onTheWay.take() && ++counters.authOperations > 0
    const checking = this.#auth.checkOnTheWay(frame, budget)
    if (checking === false) return
    void checking.then((sent) => {
      if (!sent || this.#closed) return
      counters.routesLearnedOnTheWay++
      this.#router.hints.learn(frame.origin, from, 'reverse')
    })
  }

  /** A relay this node started will not arrive (UNDELIVERABLE came back, or the relay itself, twice). */
  #failed(relay: OwnRelay): void {
    if (this.#closed) return
    if (relay.kind === RelayKind.SIGNAL) this.#o.signalFailed(relay.target, relay.payload)
    else this.#o.messageFailed(relay.target, relay.payload)
  }
}
