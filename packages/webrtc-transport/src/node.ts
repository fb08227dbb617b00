/**
 * Node entry: everything in the package index, plus a `PeerFactory` over simple-peer with
 * node-datachannel's WebRTC. Install `node-datachannel` (0.33.x) and pass its polyfill:
 *
 *   import polyfill from 'node-datachannel/polyfill'
 *   const peerFactory = nodePeerFactory(polyfill)
 */
import Peer from 'simple-peer'
import type { PeerFactory } from './peer/peer.ts'
import { plainDescriptionWrtc, type WrtcPolyfill } from './peer/node-wrtc.ts'
import { simplePeerFactory } from './peer/simple-peer-factory.ts'

export * from './index.ts'
export { plainDescriptionWrtc, type WrtcPolyfill } from './peer/node-wrtc.ts'
export { LOOPBACK_ADDRESS } from './signaling/loopback.ts'
export { directLinks, type DirectLinksOptions } from './direct/direct-links.ts'

export interface NodePeerFactoryOptions {
  /** All connections' ICE over this one UDP port (ICE UDP mux; one port per factory in a process). Default: a socket per connection. */
  icePort?: number
}

/** Makes simple-peer instances on node-datachannel; with `loopbackOnly` ICE binds to 127.0.0.1. */
export function nodePeerFactory(polyfill: WrtcPolyfill, options: NodePeerFactoryOptions = {}): PeerFactory {
  return simplePeerFactory(Peer, { wrtc: plainDescriptionWrtc(polyfill), bindLoopback: true, ...options })
}
