/**
 * @browser-dht/node-peer: a long-running headless DHT peer for Node.js (see README.md). The CLI is
 * src/cli.ts; this entry is for programs that run peers themselves (the web app's server, tests,
 * benchmarks).
 */
export { NodePeer, type PeerConfig, type PeerStatus, PEER_TIMINGS } from './peer.ts'
export { createLogger, type Logger } from './log.ts'
export { startSignalingEndpoint, type SignalingEndpoint } from './endpoint.ts'
export { FileRecordStore } from './file-record-store.ts'
export { loadOrCreateIdentity } from './identity-file.ts'
