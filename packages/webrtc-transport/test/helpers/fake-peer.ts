/**
 * A fake simple-peer for unit tests on a virtual clock: offers and answers name the fake peer
 * that made them, the channel "opens" once the dialer has the answer, sends arrive after
 * `latencyMs`, and `bufferSize` is whatever the test sets.
 */
import type { Clock } from '@browser-dht/kademlia'
import type { PeerEvents, PeerFactory, PeerInit, PeerLike, PeerSignal } from '../../src/peer/peer.ts'

export class FakePeers {
  readonly all: FakePeer[] = []
  readonly factory: PeerFactory

  constructor(
    readonly clock: Clock,
    readonly latencyMs = 1,
  ) {
    this.factory = (init, events) => {
      const peer = new FakePeer(this, this.all.length, init, events)
      this.all.push(peer)
      return peer
    }
  }

  live(): FakePeer[] {
    return this.all.filter((p) => !p.destroyed)
  }
}

export class FakePeer implements PeerLike {
  bufferSize = 0
  destroyed = false
  /** When false, nothing this peer sends reaches the other side, not even its close (a vanished peer). */
  delivers = true
  readonly sent: Uint8Array[] = []
  #partner: FakePeer | undefined

  /** The fake peer at the other end, once the offer or answer named it. */
  get partner(): FakePeer | undefined {
    return this.#partner
  }

  constructor(
    readonly hub: FakePeers,
    readonly n: number,
    readonly init: PeerInit,
    readonly events: PeerEvents,
  ) {
    if (init.initiator) {
      hub.clock.setTimeout(() => {
        if (this.destroyed) return
        events.signal({ type: 'candidate', candidate: { candidate: `candidate:1 1 UDP 1 127.0.0.1 ${1000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } })
        events.signal({ type: 'offer', sdp: `fake ${n}` })
      }, 0)
    }
  }

  signal(data: PeerSignal): void {
    if (this.destroyed) throw new Error('cannot signal after peer is destroyed')
    if (data.type === 'candidate') return
    this.#partner = this.hub.all[Number(data.sdp.split(' ')[1])]
    if (data.type === 'offer') {
      this.hub.clock.setTimeout(() => {
        if (!this.destroyed) this.events.signal({ type: 'answer', sdp: `fake ${this.n}` })
      }, 0)
    } else {
      const partner = this.#partner!
      this.hub.clock.setTimeout(() => {
        if (this.destroyed || partner.destroyed) return
        partner.events.connect()
        this.events.connect()
      }, this.hub.latencyMs)
    }
  }

  send(data: Uint8Array): void {
    if (this.destroyed) throw new Error('cannot send after peer is destroyed')
    this.sent.push(data)
    const partner = this.#partner
    if (!this.delivers || partner === undefined) return
    const copy = Uint8Array.from(data)
    this.hub.clock.setTimeout(() => {
      if (!partner.destroyed) partner.events.data(copy)
    }, this.hub.latencyMs)
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.hub.clock.setTimeout(() => this.events.close(), 0)
    const partner = this.#partner
    if (partner !== undefined && this.delivers) this.hub.clock.setTimeout(() => partner.destroy(), this.hub.latencyMs)
  }

  /** Messages of the given frame type this peer sent. */
  sentOfType(type: number): Uint8Array[] {
    return this.sent.filter((f) => f[0] === type)
  }
}
