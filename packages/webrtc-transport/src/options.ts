/**
 * Every tunable of the WebRTC transport, with its default, in one place. Each bound the transport
 * enforces is named here once. Times are in milliseconds of the handed clock.
 */
import {
  type Clock,
  cryptoRandom,
  DEFAULT_WIRE_LIMITS,
  type Id,
  ID_BYTES,
  type Random,
  systemClock,
  type WireLimits,
} from '@browser-dht/kademlia'
import type { PeerFactory } from './peer/peer.ts'
import type { NodeIdentity } from './signaling/identity.ts'
import { maxSignedBytes } from './signaling/signed-signal.ts'
import type { Signaler } from './signaling/signaler.ts'
import { TransportError, TransportErrorCode } from './errors.ts'

const SECOND = 1000
const KIB = 1024

export const DEFAULTS = {
  /**
   * Peer connections (connecting or open) held at once: the budget B. Why 32: relays need a
   * connection in every non-empty bucket, and a node of an N-node network has about log2(N) of
   * them (8 at 200 nodes, 14 at 10,000). The connection manager wants one per bucket plus the
   * closest neighbours within half the budget (16, so one per bucket fits up to about 65,000
   * nodes) and leaves the other half to peers that want this node. Each connection costs a
   * tab about 0.3 MB and a heartbeat, and Chrome allows 500 RTCPeerConnections per tab, counting
   * closed ones until they are garbage-collected, so the budget stays far below it.
   */
  maxConnections: 32,
  /** A connection whose data channel has not opened after this long is destroyed. */
  connectTimeoutMs: 15 * SECOND,
  /** `probe(id)` rejects with ERR_PROBE_TIMEOUT when its PONG has not arrived after this long. */
  probeTimeoutMs: 5 * SECOND,
  /** The heartbeat tick: an open channel silent for this long gets a ping. */
  heartbeatIntervalMs: 5 * SECOND,
  /** Pings in a row that may go unanswered (nothing at all heard from the peer) before it is dead. */
  heartbeatMaxMissed: 3,
  /**
   * An open connection that carried no DHT message either way for this long (and has nothing
   * queued) is idle: when the budget is full, the least recently used idle one is closed.
   */
  idleAfterMs: 30 * SECOND,
  /**
   * With a connection policy (the connection manager), a connection this young is never closed to
   * make room for another: a newcomer keeps its first connection while others join.
   */
  minConnectionAgeMs: 3 * SECOND,
  /** Frames queued per connection, while it connects or while its channel is above the high-water mark. */
  maxQueuedFrames: 64,
  /** Bytes queued per connection (same queue as `maxQueuedFrames`). */
  maxQueuedBytes: 1024 * KIB,
  /** Above this many bytes buffered in the data channel, frames wait in the queue instead. */
  highWaterMarkBytes: 256 * KIB,
  /** While frames wait for the channel's buffer to drain, it is checked this often. */
  drainIntervalMs: 20,
  /** ICE candidates held back until the answer has been received (dialer) or sent (answerer). */
  maxEarlyCandidates: 16,
  /** Largest SDP or ICE candidate string accepted in a signal. */
  maxSignalBytes: 16 * KIB,
  /**
   * A signed signal older than this (or dated this far in the future) by this node's clock is
   * rejected; within it, each signal is accepted once. Generous, so clock skew between machines
   * does not break signaling.
   */
  maxSignalAgeMs: 10 * 60 * SECOND,
  /** Signals remembered for replay protection (the oldest are forgotten beyond it). */
  maxSeenSignals: 8192,
  /** A relay frame starts with this many hops; a relay that would need more gives up. */
  maxRelayHops: 8,
  /** Relay frames a second one peer may send this node (to pass on or for it), after the burst. */
  relayRatePerSecond: 200,
  /** Relay frames one peer may send in a burst. */
  relayBurst: 400,
  /** Targets for which this node remembers which peer leads toward them. */
  maxRouteHints: 2048,
  /** After a BYE, the peer connection is torn down this much later, so the BYE goes out. */
  byeLingerMs: 250,
} as const

export type Tunables = { -readonly [K in keyof typeof DEFAULTS]: number }

/** An ICE (STUN/TURN) server, as in RTCConfiguration. */
export interface IceServer {
  urls: string | string[]
  username?: string
  credential?: string
}

export interface WebRtcTransportOptions extends Partial<Tunables> {
  /** This node's key pair; its ID is `identity.id`. Every signal this node sends is signed with it. */
  identity: NodeIdentity
  /**
   * Signaling servers (or anything else that carries signals by node ID). Used for a node's first
   * connections; once it has an open channel, signals travel through the overlay. More can be
   * added with `addSignaler`. Default none.
   */
  signalers?: Signaler[]
  /** Makes simple-peer instances (browser: `browserPeerFactory`; Node: `nodePeerFactory(polyfill)`). */
  peerFactory: PeerFactory
  /** STUN/TURN servers. Default none: host candidates only (always passed to simple-peer explicitly). */
  iceServers?: IceServer[]
  /** Keep only 127.0.0.1 ICE candidates, sent and received (tests). Default false. */
  loopbackOnly?: boolean
  /** Parser limits; `maxMessageBytes` is also the largest DHT message sent. Default: the core's defaults. */
  limits?: WireLimits
  /** Default `systemClock()`. */
  clock?: Clock
  /** For connection session numbers and ping nonces. Default `cryptoRandom()`. */
  random?: Random
}

export interface ResolvedOptions extends Tunables {
  id: Id
  identity: NodeIdentity
  signalers: Signaler[]
  /** Largest RELAY payload accepted: a DHT message or a signed signal, plus UNDELIVERABLE's header. */
  maxRelayPayloadBytes: number
  peerFactory: PeerFactory
  iceServers: IceServer[]
  loopbackOnly: boolean
  limits: WireLimits
  clock: Clock
  random: Random
}

const POSITIVE_INTEGERS: readonly (keyof Tunables)[] = [
  'maxConnections',
  'heartbeatMaxMissed',
  'maxQueuedFrames',
  'maxEarlyCandidates',
  'maxSeenSignals',
  'maxRelayHops',
  'relayBurst',
  'maxRouteHints',
]

/** Fills in defaults and rejects values outside their range with ERR_INVALID_OPTION. */
export function resolveOptions(options: WebRtcTransportOptions): ResolvedOptions {
  const identity = options.identity as NodeIdentity | undefined
  if (!(identity?.id instanceof Uint8Array) || identity.id.length !== ID_BYTES) {
    throw new TransportError(TransportErrorCode.INVALID_OPTION, `identity.id must be ${ID_BYTES} bytes`)
  }
  const tunables = { ...DEFAULTS } as Tunables
  for (const name of Object.keys(DEFAULTS) as (keyof Tunables)[]) {
    const value = options[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TransportError(TransportErrorCode.INVALID_OPTION, `${name} must be a positive number`)
    }
    if (POSITIVE_INTEGERS.includes(name) && !Number.isInteger(value)) {
      throw new TransportError(TransportErrorCode.INVALID_OPTION, `${name} must be an integer`)
    }
    tunables[name] = value
  }
  if (tunables.maxRelayHops > 255) throw new TransportError(TransportErrorCode.INVALID_OPTION, 'maxRelayHops must be at most 255')
  const limits = options.limits ?? DEFAULT_WIRE_LIMITS
  return {
    ...tunables,
    id: identity.id,
    identity,
    signalers: [...(options.signalers ?? [])],
    maxRelayPayloadBytes: Math.max(limits.maxMessageBytes, maxSignedBytes(tunables.maxSignalBytes)) + 2 + ID_BYTES,
    peerFactory: options.peerFactory,
    iceServers: options.iceServers ?? [],
    loopbackOnly: options.loopbackOnly ?? false,
    limits,
    clock: options.clock ?? systemClock(),
    random: options.random ?? cryptoRandom(),
  }
}
