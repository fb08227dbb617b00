/**
 * @browser-dht/node-peer: the CLI around `@browser-dht/peer` for long-running headless peers (see
 * README.md). The CLI is src/cli.ts; this entry is for programs that run the CLI's peers
 * themselves (the web app's server, tests, benchmarks).
 */
export { NodePeer, type PeerConfig, type PeerStatus, STATUS_MS } from './peer.ts'
export { createLogger, type Logger } from './log.ts'
export { startSignalingEndpoint, type SignalingEndpoint } from './endpoint.ts'
