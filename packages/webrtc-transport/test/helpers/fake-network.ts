/** Transports over fake peers and in-memory signaling, all on one virtual clock. */
import { type Clock, type Id, VirtualClock } from '@browser-dht/kademlia'
import { generateIdentity } from '../../src/signaling/identity.ts'
import { MemorySignaling, type MemorySignalingOptions } from '../../src/signaling/memory-signaling.ts'
import { WebRtcTransport } from '../../src/webrtc-transport.ts'
import type { WebRtcTransportOptions } from '../../src/options.ts'
import type { CloseReason } from '../../src/stats.ts'
import { FakePeers } from './fake-peer.ts'
import { Inbox } from './inbox.ts'

export interface FakeNode {
  id: Id
  transport: WebRtcTransport
  inbox: Inbox
  events: { type: string; id: Id; reason?: CloseReason }[]
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
    const transport = new WebRtcTransport({
      peerFactory: this.peers.factory,
      clock: this.clock,
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
    const node = { id, transport, inbox, events }
    this.nodes.push(node)
    return node
  }
}
