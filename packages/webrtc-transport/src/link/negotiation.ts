/**
 * The WebRTC negotiation of one link, between simple-peer and the signals. The remote's offer or
 * answer is applied once, and only the kind this side expects; its candidates follow. simple-peer's
 * own signals go out as envelopes, with this side's ICE candidates held back (at most
 * `maxEarlyCandidates`): on the dialing side until the answer has arrived (and the offer's SDP
 * carries none), on the answering side until the answer is sent. So the answerer cannot reach the
 * dialer before the dialer knows the answerer's DTLS fingerprint (libdatachannel, as dialer, fails
 * the DTLS handshake then, while Chrome buffers it), and no candidate reaches a node before the
 * offer it belongs to. The answerer still learns the dialer's address from its connectivity checks
 * (peer-reflexive).
 */
import type { PeerLike, PeerSignal } from '../peer/peer.ts'
import { envelopeOf, type SignalEnvelope, withoutCandidates } from '../signaling/signal.ts'
import type { Counters, DropReason } from '../stats.ts'

export interface NegotiationInit {
  session: number
  initiator: boolean
  maxEarlyCandidates: number
  counters: Counters
  /** The peer connection, while there is one. */
  peer(): PeerLike | undefined
  /** An offer, answer or candidate of this side, to send to the remote. */
  send(signal: SignalEnvelope): void
  /** simple-peer threw on a signal: the link closes (with reason `error`). */
  failed(): void
}

export class Negotiation {
  readonly #o: NegotiationInit
  /** The remote's offer (answerer) or answer (dialer) has been applied; a second one is stale. */
  #described = false
  /** This side's candidates, held until the answer has been received (dialer) or sent (answerer). */
  #heldCandidates: SignalEnvelope[] | undefined = []

  constructor(init: NegotiationInit) {
    this.#o = init
  }

  /** Hands a signal from the remote to the peer connection; returns why it was dropped, if it was. */
  apply(signal: SignalEnvelope): DropReason | undefined {
    if (signal.kind === 'offer' || signal.kind === 'answer') {
      if (this.#described || (signal.kind === 'answer') !== this.#o.initiator) return 'stale-signal'
      this.#described = true
    }
    let data: PeerSignal
    if (signal.kind === 'candidate') {
      const { candidate, sdpMid, sdpMLineIndex } = signal
      data = { type: 'candidate', candidate: { candidate, sdpMid, sdpMLineIndex } }
    } else if (signal.kind !== 'offer' && signal.kind !== 'answer') {
      return 'stale-signal'
    } else {
      data = { type: signal.kind, sdp: signal.sdp }
    }
    try {
      this.#o.peer()?.signal(data)
      if (signal.kind === 'answer') this.#releaseCandidates()
      return undefined
    } catch {
      this.#o.failed()
      return 'signal-failed'
    }
  }

  /** A signal simple-peer emitted: passes it on, or holds it back if it is an early candidate. */
  emitted(data: unknown): void {
    const envelope = envelopeOf(this.#o.session, data)
    if (envelope === undefined) return this.#o.counters.drop('unsupported-signal')
    const held = this.#heldCandidates
    if (envelope.kind === 'candidate') {
      if (held === undefined) this.#o.send(envelope)
      else if (held.length < this.#o.maxEarlyCandidates) held.push(envelope)
      else this.#o.counters.drop('candidate-overflow')
    } else if (envelope.kind === 'offer') {
      this.#o.send({ ...envelope, sdp: withoutCandidates(envelope.sdp) })
    } else {
      this.#o.send(envelope)
      if (envelope.kind === 'answer') this.#releaseCandidates()
    }
  }

  /** The link closed: held candidates are dropped. */
  stop(): void {
    this.#heldCandidates = undefined
  }

  #releaseCandidates(): void {
    const held = this.#heldCandidates
    this.#heldCandidates = undefined
    for (const candidate of held ?? []) this.#o.send(candidate)
  }
}
