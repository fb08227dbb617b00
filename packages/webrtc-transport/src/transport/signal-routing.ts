/**
 * Signal routing: offers, answers and candidates between this node's links and their remotes.
 * A link's own signals go out through the overlay or a signaling server, and signals arrive by
 * either way (signaling/signal-exchange.ts carries, signs and checks them, in order). Here a
 * checked signal acts on the connection it names: it goes to the link of its session, or, an
 * offer, starts a new one, settling glare (the lower ID's dial is kept), replacement (a later
 * offer of the remote's) and the budget (an offer with no room is refused).
 */
import { compareBytes, type Id } from '@browser-dht/kademlia'
import type { DirectPlug } from '../direct/plug.ts'
import type { Link } from '../link/link.ts'
import { SIGNAL_VERSION, type SignalEnvelope } from '../signaling/signal.ts'
import { type SignalArrival, SignalExchange } from '../signaling/signal-exchange.ts'
import type { OpenedSignal } from '../signaling/signed-signal.ts'
import type { Signaler } from '../signaling/signaler.ts'
import type { RelayFrame } from '../wire/frames.ts'
import type { TransportContext } from './context.ts'

type OfferEnvelope = Extract<SignalEnvelope, { kind: 'offer' | 'direct' }>

export interface SignalRoutingInit extends TransportContext {
  /** The direct-link plug, if this node has one (DIRECT.md). */
  direct(): DirectPlug | undefined
  /** Starts an overlay relay of signed signal bytes; false when no open channel can take it. */
  relay(to: Id, bytes: Uint8Array): boolean
  /** A checked signal from `from` came through the overlay on `via`'s channel: the way back to `from`. */
  cameVia(from: Id, via: Id, seq: number): void
}

export class SignalRouting {
  readonly #o: SignalRoutingInit
  readonly #exchange: SignalExchange
  #closed = false

  constructor(init: SignalRoutingInit) {
    this.#o = init
    this.#exchange = new SignalExchange({
      options: init.options,
      counters: init.counters,
      suite: init.suite,
      sequencer: init.sequencer,
      relay: (to, bytes) => init.relay(to, bytes),
      received: (opened, arrival) => this.#received(opened, arrival),
    })
  }

  /** Carries signals through `signaler` too; returns its removal. */
  addSignaler(signaler: Signaler): () => void {
    return this.#exchange.addSignaler(signaler)
  }

  /** `signaler`'s server knows these nodes: signal them through it. */
  introduce(ids: readonly Id[], signaler: Signaler): void {
    this.#exchange.introduce(ids, signaler)
  }

  /** A signal of `link`'s own (simple-peer's), to its remote; a dial's first offer says if it is entering. */
  send(link: Link, signal: SignalEnvelope): void {
    const flagged = link.entering && (signal.kind === 'offer' || signal.kind === 'direct') ? { ...signal, first: true as const } : signal
    this.#exchange.send(link.remote, flagged, link.signalPath)
  }

  /** A SIGNAL relay for this node arrived on `link` (whose budget pays for its check). */
  fromOverlay(frame: RelayFrame, link: Link): void {
    this.#exchange.fromOverlay(frame.body, { origin: frame.origin, via: link.remote, seq: frame.seq }, () => link.takeAuthToken())
  }

  /** A signal the overlay could not deliver goes through a signaling server instead, if any. */
  viaServer(to: Id, signed: Uint8Array): void {
    this.#exchange.viaServer(to, signed)
  }

  /** Stops listening to every signaler; signals still being checked are dropped. */
  close(): void {
    this.#closed = true
    this.#exchange.close()
  }

  /** A signal that passed every check arrived from `opened.from`. */
  #received(opened: OpenedSignal, arrival: SignalArrival): void {
    if (this.#closed) return
    const { counters, links } = this.#o
    const { from, signal, seq } = opened
    this.#o.keys.learn(from, opened.publicKey)
    if (arrival.path === 'overlay') this.#o.cameVia(from, arrival.via, arrival.seq)
    const existing = links.get(from)
    if (existing !== undefined && existing.session === signal.session) {
      if (signal.kind === 'refuse') {
        if (existing.initiator && existing.state === 'connecting') existing.close('refused')
        return
      }
      if (signal.kind === 'direct-no') {
        this.#o.direct()?.forget(existing)
        const dropped = existing.useWebRtc()
        return dropped === undefined ? undefined : counters.drop(dropped)
      }
      const dropped = existing.signal(signal)
      if (dropped !== undefined) return counters.drop(dropped)
      if (signal.kind === 'answer') existing.remoteSeq = seq
      return
    }
    if (signal.kind !== 'offer' && signal.kind !== 'direct') return counters.drop('stale-signal')
    // A connection is replaced only by an offer signed after the signal that made it (not a replay).
    if (existing?.remoteSeq !== undefined && seq <= existing.remoteSeq) return counters.drop('stale-signal')
    this.#offer(from, existing, signal, seq, arrival.path)
  }

  /** An offer for a new connection attempt from `from`. */
  #offer(from: Id, existing: Link | undefined, offer: OfferEnvelope, seq: number, path: Link['signalPath']): void {
    const { counters, links } = this.#o
    let carried: Uint8Array[] = []
    if (existing !== undefined && existing.initiator && existing.state === 'connecting') {
      // Glare: both dialed. The connection dialed by the lower ID is kept.
      if (compareBytes(this.#o.options.id, from) < 0) return counters.drop('glare')
      carried = existing.takeQueue()
      existing.close('glare-lost')
    } else if (existing !== undefined) {
      // The remote started over, so it no longer uses the connection this node still has.
      existing.close('replaced')
    } else if (!links.makeRoom(offer.first !== true)) {
      // (A node entering the network, with no other connection, is made room for like a dial of
      // this node's own: it needs one connection to get in; every other offer only takes a free
      // slot or an idle one.)
      counters.drop('refused')
      this.#exchange.send(from, { v: SIGNAL_VERSION, session: offer.session, kind: 'refuse' }, path)
      return
    }
    const link = links.create(from, offer.session, false, path)
    if (link === undefined) return counters.drop('connect-failed', carried.length)
    link.remoteSeq = seq
    for (const frame of carried) {
      const dropped = link.sendFrame(frame)
      if (dropped !== undefined) counters.drop(dropped)
    }
    if (offer.kind === 'direct') return this.#answerDirect(link, offer)
    const dropped = link.signal(offer)
    if (dropped !== undefined) counters.drop(dropped)
  }

  /** A direct offer: the plug dials it, or, without one, the remote is asked for a WebRTC offer. */
  #answerDirect(link: Link, offer: Extract<OfferEnvelope, { kind: 'direct' }>): void {
    const plug = this.#o.direct()
    if (plug !== undefined) return plug.answer(link, offer)
    this.#o.counters.directDeclined++
    this.send(link, { v: SIGNAL_VERSION, session: link.session, kind: 'direct-no' })
  }
}
