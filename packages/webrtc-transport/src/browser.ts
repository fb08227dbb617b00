/**
 * Browser entry: everything in the package index, plus a `PeerFactory` over simple-peer's
 * prebuilt bundle, which needs no Node shims under Vite.
 */
import Peer from 'simple-peer/simplepeer.min.js'
import type { PeerFactory } from './peer/peer.ts'
import { simplePeerFactory } from './peer/simple-peer-factory.ts'

export * from './index.ts'

/** Makes simple-peer instances on the browser's own RTCPeerConnection. */
export const browserPeerFactory: PeerFactory = simplePeerFactory(Peer)
