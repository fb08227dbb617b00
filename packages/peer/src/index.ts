/**
 * @browser-dht/peer: one call to join the browser DHT. This module is what both platform entries
 * share; `createPeer` comes from the platform's entry (`browser.ts` in a bundler, `node.ts` in
 * Node), which the package's exports map picks. See README.md.
 */
export { Peer, type Lifecycle, type NameOrKey, type PeerAbout, type PeerParts, type PeerStats } from './peer.ts'
export type { PeerEvents } from './events.ts'
export { checkPeerOptions, checkSignalUrls, MAX_SIGNAL_URLS, parseSignalUrl, PEER_TIMINGS, type PeerOptions, type PeerTimings } from './options.ts'
export { PeerError, PeerErrorCode } from './errors.ts'
export { peerMetrics } from './metrics.ts'
export { MemoryPeerStore, type PeerStore, type PublishedEntry, type PublishedStore } from './store.ts'
export { ClientSignaler, type SignalPayload, type SignalReceiver } from './signaling/client-signaler.ts'
export { Entry, type EntryOptions } from './signaling/entry.ts'
export { ClientErrorCode, SignalingClient, type SignalingClientEvents, type SignalingClientOptions, type WebSocketConstructor, type WebSocketLike } from './signaling/signaling-client.ts'
export { DEFAULT_MAX_RETRY_MS, SignalingLink, type SignalingLinkOptions, type SignalingState } from './signaling/signaling-link.ts'
export type { GetResult, Id, ImmutableGetResult, MutableGetResult, PutResult } from '@browser-dht/kademlia'
