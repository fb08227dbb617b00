/**
 * The shapes of `window.__dht` (see test-hook.ts), apart from the hook itself, so that tests and
 * benchmarks outside the page can name them without compiling the page.
 */
import type { NodeStats } from '@browser-dht/kademlia'
import type { TransportStats } from '@browser-dht/webrtc-transport'

export interface HookOpResult {
  /** Wall time of the call in the page, in ms. */
  ms: number
  /** Lookup rounds and requests of the operation's trace (0 for a get answered locally). */
  rounds: number
  messages: number
  /** Requests of its lookup that failed, and that it stopped waiting on (slow). */
  failures?: number
  slowRequests?: number
  /** put: how long its node lookup took (ms); the rest of `ms` went to its STOREs. */
  lookupMs?: number
  /** put: nodes that confirmed the store. get: 1 when found, 0 when not. */
  holders: number
  /** get: the value as text, if found. */
  value?: string
  /** get: answered from this tab's own store. */
  local?: boolean
  /** get: the node (hex ID) that answered with the value. */
  from?: string
}

export interface HookStatus {
  id: string
  /** Open data channels. */
  peers: number
  /** Node IDs (hex) at the other end of each open data channel. */
  openPeers: string[]
  /** Contacts in the routing table. */
  contacts: number
  records: number
  /** Last heartbeat round trip of every open channel that has one (ms). */
  heartbeatRttMs: number[]
  /** `performance.now()` when the first data channel opened (ms after navigation start). */
  firstPeerAt: number | undefined
  /** `tableSizeAt[n]`: `performance.now()` when the routing table first held n contacts. */
  tableSizeAt: (number | undefined)[]
  /** The connection budget, and the most connections (connecting or open) held at once so far. */
  budget: number
  peakConnections: number
  /** Peer connections created since the page loaded (closed ones count in Chrome until GC). */
  connectionsCreated: number
  /** Signals this tab sent through a signaling server, and through the overlay. */
  signalsViaServer: number
  signalsViaOverlay: number
}

export interface DhtHook {
  put(name: string, value: string): Promise<HookOpResult>
  get(name: string): Promise<HookOpResult>
  /** One DHT PING to a peer (hex ID); the round trip in ms, or undefined if it failed. */
  ping(peerHex: string): Promise<number | undefined>
  /**
   * The raw data-channel round trip to a peer (hex ID) over its open channel: one transport PING
   * frame and its PONG (`WebRtcTransport.probe`), in ms of the transport's clock. Never dials;
   * on failure, the TransportError code (ERR_NOT_CONNECTED, ERR_PROBE_TIMEOUT, ERR_LINK_CLOSED).
   */
  probe(peerHex: string): Promise<{ ms: number } | { error: string }>
  status(): HookStatus
  /** Whether this tab holds a record for the name (for others, or its own). */
  holds(name: string): boolean
  /** Everything the transport and the node count (for benchmarks and diagnosis). */
  counters(): { transport: TransportStats; node: NodeStats }
}

declare global {
  interface Window {
    __dht?: DhtHook
  }
}
