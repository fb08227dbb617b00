/**
 * @browser-dht/signaling-server: the WebSocket server that introduces new browser tabs to their
 * first peers and relays WebRTC signals between registered peers by ID (Node only). The browser
 * client is in `@browser-dht/peer`; `./protocol` holds what both sides share (frames, the
 * server-frame parser, the registration challenge, codes). Frames and handshake: PROTOCOL.md.
 */
export { createSignalingServer, type SignalingServer, type SignalingServerOptions } from './server/server.ts'
export { type HardenOptions, hardenHttpServer } from './server/http-hardening.ts'
export { normalizeOrigins } from './server/origins.ts'
export { formatMetrics, type MetricFamily, type MetricSample, type MetricType, METRICS_CONTENT_TYPE } from './prometheus.ts'
export { DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT, DEFAULTS, parseTunableAssignments, resolveTunables, type Tunables } from './options.ts'
export { DEFAULT_FRAME_LIMITS, type FrameLimits } from './protocol/limits.ts'
export { parseClientFrame } from './protocol/parse-client-frame.ts'
