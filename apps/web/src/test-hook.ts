/**
 * `window.__dht`: a small hook for benchmarks and tests that drive many tabs. It does what the
 * Put/Get form does (same TabNode calls), without the DOM, and reports timings. It adds no power
 * a user of the page does not have.
 */
import { idFromHex, keyOf, type NodeStats, toHex } from '@browser-dht/kademlia'
import { TransportError, type TransportStats } from '@browser-dht/webrtc-transport'
import type { TabNode } from './dht/tab-node.ts'

export interface HookOpResult {
  /** Wall time of the call in the page, in ms. */
  ms: number
  /** Lookup rounds and requests of the operation's trace (0 for a get answered locally). */
  rounds: number
  messages: number
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

export function installHook(tab: TabNode): DhtHook {
  let firstPeerAt: number | undefined = tab.transport.stats().open > 0 ? performance.now() : undefined
  const tableSizeAt: (number | undefined)[] = []
  const noteSize = (): void => {
    const size = tab.node.table.size
    for (let n = 0; n <= size; n++) tableSizeAt[n] ??= performance.now()
  }
  noteSize()
  tab.transport.on('peer:connected', () => {
    firstPeerAt ??= performance.now()
  })
  tab.node.on('peer:added', noteSize)

  const hook: DhtHook = {
    async put(name, value) {
      const started = performance.now()
      const { holders, trace } = await tab.put(name, new TextEncoder().encode(value))
      return { ms: performance.now() - started, rounds: trace.rounds, messages: trace.messages, holders: holders.length }
    },
    async get(name) {
      const started = performance.now()
      const result = await tab.get(name)
      const ms = performance.now() - started
      const local = result.from !== undefined && toHex(result.from) === toHex(tab.identity.id)
      return {
        ms,
        rounds: result.trace.rounds,
        messages: result.trace.messages,
        holders: result.value === undefined ? 0 : 1,
        local,
        ...(result.from === undefined ? {} : { from: toHex(result.from) }),
        ...(result.value === undefined ? {} : { value: new TextDecoder().decode(result.value) }),
      }
    },
    async ping(peerHex) {
      const started = performance.now()
      const ok = await tab.node.ping(idFromHex(peerHex))
      return ok ? performance.now() - started : undefined
    },
    async probe(peerHex) {
      try {
        return { ms: await tab.transport.probe(idFromHex(peerHex)) }
      } catch (error) {
        return { error: error instanceof TransportError ? error.code : String(error) }
      }
    },
    counters() {
      return { transport: tab.transport.stats(), node: tab.node.stats() }
    },
    holds(name) {
      const meta = tab.node.records.meta(keyOf(name))
      return meta !== undefined && meta.expiresAt > Date.now()
    },
    status() {
      const open = tab.transport.peers().filter((peer) => peer.state === 'open')
      const stats = tab.transport.stats()
      return {
        id: toHex(tab.identity.id),
        peers: open.length,
        openPeers: open.map((peer) => toHex(peer.id)),
        contacts: tab.node.table.size,
        records: tab.node.records.count,
        heartbeatRttMs: open.flatMap((peer) => (peer.rttMs === undefined ? [] : [peer.rttMs])),
        firstPeerAt,
        tableSizeAt: [...tableSizeAt],
        budget: tab.transport.options.maxConnections,
        peakConnections: stats.peakConnections,
        connectionsCreated: stats.connectionsCreated,
        signalsViaServer: stats.signalsViaServer,
        signalsViaOverlay: stats.signalsViaOverlay,
      }
    },
  }
  window.__dht = hook
  return hook
}
