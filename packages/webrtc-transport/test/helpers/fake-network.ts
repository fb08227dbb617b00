/** Transports over fake peers and in-memory signaling, all on one virtual clock. */
import { type Clock, type Id, VirtualClock } from '@browser-dht/kademlia'
import { generateIdentity } from '@browser-dht/identity/noble'
import { MemorySignaling, type MemorySignalingOptions } from '../../src/signaling/memory-signaling.ts'
import { loadNobleCurves } from '../../src/auth/suite.ts'
import { WebRtcTransport } from '../../src/webrtc-transport.ts'
import type { WebRtcTransportOptions } from '../../src/options.ts'
import type { CloseReason } from '../../src/stats.ts'
import { type FakePeer, FakePeers } from './fake-peer.ts'
import { Inbox } from './inbox.ts'

// The nodes authenticate with noble on the virtual clock: its import must be done before the clock runs.
await loadNobleCurves()

export interface FakeNode {
  id: Id
  transport: WebRtcTransport
  inbox: Inbox
  events: { type: string; id: Id; reason?: CloseReason }[]
  /** The fake peer connections this node's transport made, in order. */
  created: FakePeer[]
}

export class FakeNetwork {
  readonly clock = new VirtualClock()
  readonly peers: FakePeers
  readonly signaling: MemorySignaling
  readonly nodes: FakeNode[] = []

  constructor(options: { signaling?: Omit<MemorySignalingOptions, 'clock'>; peerClock?: Clock } = {}) {
    this.peers = new FakePeers(options.peerClock ?? this.clock)
    this.signaling = new MemorySignaling({ ...options.signaling, clock: this.clock })
  }

  add(options: Partial<Omit<WebRtcTransportOptions, 'signalers'>> = {}): FakeNode {
    const identity = options.identity ?? generateIdentity()
    const id = identity.id
    const created: FakePeer[] = []
    // No ID puzzle (tests make hundreds of identities), and noble's crypto: WebCrypto's work
    // finishes outside the order a virtual clock can follow.
    const transport = new WebRtcTransport({
      peerFactory: (init, events) => {
        const peer = this.peers.factory(init, events) as FakePeer
        created.push(peer)
        return peer
      },
      clock: this.clock,
      idPuzzleBits: 0,
      authCrypto: 'noble',
      ...options,
      identity,
      signalers: [this.signaling.signaler(id)],
    })
    const inbox = new Inbox()
    transport.listen(inbox.handler)
    const events: FakeNode['events'] = []
    transport.on('peer:connected', (e) => events.push({ type: 'connected', id: e.id }))
    transport.on('peer:disconnected', (e) => events.push({ type: 'disconnected', id: e.id, reason: e.reason }))
    transport.on('connect:failed', (e) => events.push({ type: 'failed', id: e.id, reason: e.reason }))
    const node = { id, transport, inbox, events, created }
    this.nodes.push(node)
    return node
  }

  /** `from`'s live fake connection to `to` (to write raw frames on, as an attacker would). */
  channel(from: FakeNode, to: FakeNode): FakePeer {
    const peer = from.created.find((p) => !p.destroyed && p.partner !== undefined && to.created.includes(p.partner))
    if (peer === undefined) throw new Error('no open channel between these nodes')
    return peer
  }
}
