/**
 * Real WebRTC between transports in this process: node-datachannel through simple-peer, ICE bound
 * to 127.0.0.1 and only loopback candidates exchanged, no ICE servers, signals through an
 * in-memory hub.
 */
import polyfill from 'node-datachannel/polyfill'
import type { Id } from '@browser-dht/kademlia'
import { generateIdentity } from '@browser-dht/identity/noble'
import { MemorySignaling, type MemorySignalingOptions, nodePeerFactory, type PeerFactory, WebRtcTransport } from '../../src/node.ts'
import type { WebRtcTransportOptions } from '../../src/options.ts'
import { Inbox } from './inbox.ts'

export { Inbox } from './inbox.ts'
export { ping } from './messages.ts'
export { orderedIdentities } from './ids.ts'

export const realPeers: PeerFactory = nodePeerFactory(polyfill)

export interface TestPeer {
  id: Id
  transport: WebRtcTransport
  inbox: Inbox
}

type PeerOptions = Partial<Omit<WebRtcTransportOptions, 'signalers'>> & { listen?: boolean }

/** Builds transports on one signaling hub; `closeAll` closes every one of them. */
export class TestNetwork {
  readonly signaling: MemorySignaling
  readonly peers: TestPeer[] = []

  constructor(options: MemorySignalingOptions = {}) {
    this.signaling = new MemorySignaling(options)
  }

  add(options: PeerOptions = {}): TestPeer {
    const identity = options.identity ?? generateIdentity()
    const id = identity.id
    const transport = new WebRtcTransport({
      peerFactory: realPeers,
      loopbackOnly: true,
      iceServers: [],
      idPuzzleBits: 0,
      ...options,
      identity,
      signalers: [this.signaling.signaler(id)],
    })
    const inbox = new Inbox()
    if (options.listen !== false) transport.listen(inbox.handler)
    const peer = { id, transport, inbox }
    this.peers.push(peer)
    return peer
  }

  closeAll(): void {
    for (const peer of this.peers) peer.transport.close()
    this.peers.length = 0
  }
}

/** Resolves when `condition` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
