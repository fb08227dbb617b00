/**
 * @browser-dht/webrtc-transport: the Kademlia core's `Transport` over WebRTC data channels.
 * This entry imports no WebRTC implementation; `./browser` adds a simple-peer factory for tabs
 * and `./node` one for Node over node-datachannel. See README.md. (The identity it takes is
 * `@browser-dht/identity`'s; `@browser-dht/peer` puts all of it together.)
 */
export { type ConnectionPolicy, type PeerInfo, WebRtcTransport } from './webrtc-transport.ts'
export { checkTunables, DEFAULTS, type IceServer, type ResolvedOptions, type Tunables, type WebRtcTransportOptions } from './options.ts'
export { TransportError, TransportErrorCode } from './errors.ts'
export type { TransportEvents } from './events.ts'
export {
  CLOSE_REASONS,
  type CloseReason,
  DIRECT_REJECTIONS,
  type DirectRejection,
  DROP_REASONS,
  type DropReason,
  PEER_GONE,
  type TransportStats,
} from './stats.ts'
export type { DirectLinking } from './direct/plug.ts'
export type { DirectSocket, DirectSocketEvents, DirectSockets } from './direct/sockets.ts'
export type { Signaler, SignalHandler } from './signaling/signaler.ts'
export type { SignalEnvelope } from './signaling/signal.ts'
export { MemorySignaling, type MemorySignalingOptions, type MemorySignalingStats } from './signaling/memory-signaling.ts'
export type { PeerEvents, PeerFactory, PeerInit, PeerLike, PeerSignal } from './peer/peer.ts'
export { simplePeerFactory, type SimplePeerConstructor, type SimplePeerFactoryOptions, type Wrtc } from './peer/simple-peer-factory.ts'
export type { AuthCrypto } from './auth/suite.ts'
export { ConnectionManager, type ConnectionManagerOptions, type ManagerStats, type TableView } from './overlay/connection-manager.ts'
export { MANAGER_DEFAULTS, type ManagerTunables, resolveManagerTunables } from './overlay/manager-options.ts'
