/**
 * @browser-dht/webrtc-transport: the Kademlia core's `Transport` over WebRTC data channels.
 * This entry imports no WebRTC implementation; `./browser` adds a simple-peer factory for tabs
 * and `./node` one for Node over node-datachannel. See README.md.
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
export { CLOSE_REASONS, type CloseReason, DROP_REASONS, type DropReason, type TransportStats } from './stats.ts'
export type { Signaler, SignalHandler } from './signaling/signaler.ts'
export { envelopeOf, parseSignal, type ParseSignalResult, SIGNAL_VERSION, type SignalEnvelope } from './signaling/signal.ts'
export { isLoopbackCandidate, LOOPBACK_ADDRESS, loopbackOnly, loopbackSdp } from './signaling/loopback.ts'
export { MemorySignaling, type MemorySignalingOptions, type MemorySignalingStats } from './signaling/memory-signaling.ts'
export type { PeerEvents, PeerFactory, PeerInit, PeerLike, PeerSignal } from './peer/peer.ts'
export { simplePeerFactory, type SimplePeerConstructor, type SimplePeerFactoryOptions, type Wrtc } from './peer/simple-peer-factory.ts'
export { dhtFrame, type Frame, type FrameRejection, FrameType, parseFrame, pingFrame, pongFrame } from './wire/frames.ts'
export { Heartbeat, type HeartbeatAction } from './link/heartbeat.ts'
