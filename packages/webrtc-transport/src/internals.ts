/**
 * @browser-dht/webrtc-transport/internals: the transport's parts below its API (channel frames,
 * signed signals, relay authentication, replay windows, routes, heartbeat), for the workspace's
 * fuzz targets and tests. Only in this workspace (the `source` condition): not in the published
 * package, and no promise of stability.
 */
export * from './index.ts'
export { resolveOptions } from './options.ts'
export { envelopeOf, parseSignal, type ParseSignalResult, SIGNAL_VERSION } from './signaling/signal.ts'
export { isLoopbackCandidate, LOOPBACK_ADDRESS, loopbackOnly, loopbackSdp } from './signaling/loopback.ts'
export { Heartbeat, type HeartbeatAction } from './link/heartbeat.ts'
export { wantedPeers, type WantedQuery } from './overlay/connection-manager.ts'
export { type Hint, type HintKind, type HopQuery, nextHop, RouteHints } from './overlay/routes.ts'
export { dhtFrame, type Frame, type FrameRejection, FrameType, parseFrame, pingFrame, pongFrame } from './wire/frames.ts'
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
  MAX_LISTED_NEIGHBOURS,
  neighboursFrame,
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
export { type AuthSuite, createSuite, lazyNobleSuite, webCryptoSuite } from './auth/suite.ts'
export { nobleSuite } from './auth/noble-suite.ts'
export { AUTH_DOMAIN, AuthMode, MAC_TAG_BYTES, RELAY_REJECTIONS, RelayAuth, type RelayRejection } from './auth/relay-seal.ts'
export { PRESENCE_BYTES, PRESENCE_DOMAIN } from './auth/presence.ts'
export { PeerKeys } from './auth/peer-keys.ts'
export { directLinks } from './direct/direct-links.ts'
export { directUrlProblem, type DirectUrlPolicy } from './direct/url.ts'
export { DIRECT_DOMAIN, DIRECT_VERSION, FrameSeal, HELLO_BYTES, helloBytes, parseHello, TOKEN_BYTES, WELCOME_BYTES, welcomeBytes } from './direct/seal.ts'
