/**
 * Everything a peer can be given, with its default, and the one check of them. The platform
 * entries (`browser.ts`, `node.ts`) fill in what they provide (identity, store, WebRTC,
 * WebSocket); everything they fill in can be passed instead.
 */
import type { NodeIdentity } from '@browser-dht/identity'
import { type Clock, type Random, resolveTunables, type Tunables as DhtTunables } from '@browser-dht/kademlia'
import { checkTunables, type IceServer, type ManagerTunables, type PeerFactory, resolveManagerTunables, type Tunables as TransportTunables } from '@browser-dht/webrtc-transport'
import { PeerError, PeerErrorCode } from './errors.ts'
import type { WebSocketConstructor } from './signaling/signaling-client.ts'
import type { PeerStore } from './store.ts'

/** Every timing of the peer's own housekeeping, in one place (the DHT's and the transport's are theirs). */
export const PEER_TIMINGS = {
  /** Retry an unreachable signaling server after about this long (doubling after refusals). */
  signalingRetryMs: 3000,
  /** Longest wait between tries of one signaling server (its registration buckets refill in a minute). */
  maxSignalingRetryMs: 60_000,
  /** With fewer than k contacts in the routing table, ask the servers for peers again this often. */
  rejoinMs: 5000,
  /** When the first contact arrives unasked (the first node of a network), wait this long before counting as joined. */
  settleMs: 1000,
  /** On close, wait this long for the BYE frames to leave before the connections close. */
  byeWaitMs: 300,
  /** Tabs: write this tab's "last seen" time this often (orphan detection). */
  seenMs: 5000,
  /** Tabs: a database whose owner was seen this recently is not adopted (it may be reloading). */
  orphanGraceMs: 20_000,
  /** Tabs: look for closed tabs' databases this often. */
  orphanScanMs: 60_000,
} as const

export type PeerTimings = { -readonly [K in keyof typeof PEER_TIMINGS]: number }

/** Signaling servers a peer enters through at most. */
export const MAX_SIGNAL_URLS = 8

export interface PeerOptions {
  /** Signaling servers (`ws://` or `wss://` URLs) to enter through: 1 to `MAX_SIGNAL_URLS`. */
  signal: readonly string[]
  /** The node's identity. Default: the platform's (tabs: sessionStorage; Node: `dataDir`, else a new one). */
  identity?: NodeIdentity
  /** Where records live. Default: the platform's (tabs: IndexedDB; Node: `dataDir`, else memory). */
  store?: PeerStore
  /** Makes WebRTC connections. Default: the platform's (tabs: the browser's; Node: node-datachannel). */
  peerFactory?: PeerFactory
  /** Default: the `WebSocket` global (tabs), `ws` (Node). */
  WebSocket?: WebSocketConstructor
  /** Default: the system clock. */
  clock?: Clock
  /** Default: the platform's cryptographic randomness. */
  random?: Random
  /** The network's ID puzzle, for both the identity and the checks of others. Default 13 (`DEFAULT_ID_PUZZLE_BITS`). */
  idPuzzleBits?: number
  /** Keep only 127.0.0.1 ICE candidates (tests on one machine). Default false. */
  loopbackOnly?: boolean
  /** STUN/TURN servers. Default none (loopback and LAN only). */
  iceServers?: IceServer[]
  /** The DHT's tunables: k, alpha, disjointPaths, record TTLs, quotas (the core's README). */
  dht?: Partial<DhtTunables>
  /** The transport's tunables: maxConnections, heartbeats, relay bounds (the transport's README). */
  transport?: Partial<Omit<TransportTunables, 'idPuzzleBits'>>
  /** The connection manager's tunables (which contacts get a connection). */
  connections?: Partial<ManagerTunables>
  /** The peer's own timings (`PEER_TIMINGS`). */
  timings?: Partial<PeerTimings>
}

function invalid(message: string): PeerError {
  return new PeerError(PeerErrorCode.INVALID_OPTION, message)
}

/**
 * The one parser of a signaling server's URL: `{ url }` normalized (`new URL(text).href`) when it
 * is a ws:// or wss:// URL with a host and no #fragment, else `{ problem }` in words that follow the
 * URL ("must start with ws:// or wss://"). The peer's options, the web app's `?signal=` and the
 * Node peer's `--signal` all read URLs through it.
 */
export function parseSignalUrl(text: string): { url: string } | { problem: string } {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return { problem: 'is not a URL' }
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return { problem: 'must start with ws:// or wss://' }
  if (parsed.hostname === '') return { problem: 'has no host' }
  if (parsed.hash !== '') return { problem: 'must not have a #fragment' }
  return { url: parsed.href }
}

/** The signaling URLs, checked (`parseSignalUrl`) and normalized: 1 to `MAX_SIGNAL_URLS`, no duplicates. */
export function checkSignalUrls(urls: unknown): string[] {
  if (!Array.isArray(urls) || urls.length === 0) throw invalid('signal must be a list of 1 or more ws:// or wss:// URLs')
  if (urls.length > MAX_SIGNAL_URLS) throw invalid(`signal takes at most ${MAX_SIGNAL_URLS} URLs, got ${urls.length}`)
  const checked: string[] = []
  for (const text of urls) {
    const parsed = parseSignalUrl(String(text))
    if ('problem' in parsed) throw invalid(`signal: ${JSON.stringify(text)} ${parsed.problem}`)
    if (checked.includes(parsed.url)) throw invalid(`signal: ${JSON.stringify(text)} is given twice`)
    checked.push(parsed.url)
  }
  return checked
}

/** The timings with their defaults; each a finite number ≥ 0. */
export function resolveTimings(given: Partial<PeerTimings> = {}): PeerTimings {
  const timings: PeerTimings = { ...PEER_TIMINGS }
  for (const [name, value] of Object.entries(given)) {
    if (!(name in PEER_TIMINGS)) throw invalid(`timings.${name} is not a timing (${Object.keys(PEER_TIMINGS).join(', ')})`)
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(`timings.${name} must be a number of milliseconds ≥ 0`)
    timings[name as keyof PeerTimings] = value
  }
  return timings
}

/**
 * Every option that can be checked without an identity: the signaling URLs, the timings, the
 * DHT's, the transport's and the connection manager's tunables. The platform entries call it
 * first, so a bad option costs no puzzle search, no file and no database.
 */
export function checkPeerOptions(options: PeerOptions): void {
  checkSignalUrls(options.signal)
  resolveTimings(options.timings)
  const puzzle = options.idPuzzleBits === undefined ? {} : { idPuzzleBits: options.idPuzzleBits }
  resolveTunables({ ...options.dht, ...puzzle })
  checkTunables({ ...options.transport, ...puzzle })
  resolveManagerTunables(options.connections ?? {})
}
