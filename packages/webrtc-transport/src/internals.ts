/**
 * @browser-dht/webrtc-transport/internals: the transport's parts below its API (channel frames,
 * signed signals, relay authentication, replay windows, routes, heartbeat), for the workspace's
 * fuzz targets and tests. Only in this workspace (the `source` condition): not in the published
 * package, and no promise of stability.
 */
export { WebRtcTransport, type PeerInfo } from './webrtc-transport.ts'
export {
  DEFAULTS,
  type IceServer,
  resolveOptions,
  type ResolvedOptions,
  type Tunables,
  type WebRtcTransportOptions,
} from './options.ts'
export { TransportError, TransportErrorCode } from './errors.ts'
export type { TransportEvents } from './events.ts'
export { CLOSE_REASONS, type CloseReason, DROP_REASONS, PEER_GONE, type DropReason, type TransportStats } from './stats.ts'
export type { Signaler, SignalHandler } from './signaling/signaler.ts'
export { envelopeOf, parseSignal, type ParseSignalResult, SIGNAL_VERSION, type SignalEnvelope } from './signaling/signal.ts'
export { isLoopbackCandidate, LOOPBACK_ADDRESS, loopbackOnly, loopbackSdp } from './signaling/loopback.ts'
export { MemorySignaling, type MemorySignalingOptions, type MemorySignalingStats } from './signaling/memory-signaling.ts'
export type { PeerEvents, PeerFactory, PeerInit, PeerLike, PeerSignal } from './peer/peer.ts'
export { simplePeerFactory, type SimplePeerConstructor, type SimplePeerFactoryOptions, type Wrtc } from './peer/simple-peer-factory.ts'
export { dhtFrame, type Frame, type FrameRejection, FrameType, parseFrame, pingFrame, pongFrame } from './wire/frames.ts'
export { Heartbeat, type HeartbeatAction } from './link/heartbeat.ts'
export { type ConnectionPolicy } from './webrtc-transport.ts'
export {
  ConnectionManager,
  type ConnectionManagerOptions,
  MANAGER_DEFAULTS,
  type ManagerStats,
  type ManagerTunables,
  type TableView,
  wantedPeers,
  type WantedQuery,
} from './overlay/connection-manager.ts'
export { type Hint, type HintKind, type HopQuery, nextHop, RouteHints } from './overlay/routes.ts'
export {
  createIdentity,
  type CreateIdentityOptions,
  generateIdentity,
  idFromPublicKey,
  identityFromSecretKey,
  isUsablePublicKey,
  type NodeIdentity,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  sign,
  SIGNATURE_BYTES,
  verifySignature,
} from '@browser-dht/identity'
export {
  maxSignedBytes,
  type OpenContext,
  type OpenedSignal,
  type OpenResult,
  openSignal,
  peekSignal,
  sealSignal,
  SIGNAL_REJECTIONS,
  type SignalData,
  signalData,
  signalDataBytes,
  SIGNED_DOMAIN,
  SIGNED_VERSION,
  type SignalRejection,
} from './signaling/signed-signal.ts'
export {
  byeFrame,
  ByeReason,
  type RelayFrame,
  relayFrame,
  type RelayId,
  RelayKind,
  UNDELIVERABLE_REASONS,
  type UndeliverableFrame,
  undeliverableFrame,
  type UndeliverableReason,
} from './wire/frames.ts'
export { ReplayWindows } from './auth/replay.ts'
export { Sequencer } from './auth/sequencer.ts'
export { type AuthCrypto, type AuthSuite, createSuite, nobleSuite, webCryptoSuite } from './auth/suite.ts'
export { AUTH_DOMAIN, AuthMode, MAC_TAG_BYTES, RELAY_REJECTIONS, RelayAuth, type RelayRejection } from './auth/relay-seal.ts'
export { PRESENCE_BYTES, PRESENCE_DOMAIN } from './auth/presence.ts'
export { PeerKeys } from './auth/peer-keys.ts'
