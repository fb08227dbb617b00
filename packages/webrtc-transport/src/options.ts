/**
 * Every tunable of the WebRTC transport, with its default, in one place. Each bound the transport
 * enforces is named here once. Times are in milliseconds of the handed clock.
 */
import {
  checkOptions,
  defaultsOf,
  type Clock,
  cryptoRandom,
  DEFAULT_ID_PUZZLE_BITS,
  DEFAULT_WIRE_LIMITS,
  type Id,
  ID_BYTES,
  kindsOf,
  MAX_ID_PUZZLE_BITS,
  meetsIdPuzzle,
  option,
  type OptionKind,
  type OptionTable,
  puzzleBitsOf,
  type Random,
  systemClock,
  type WireLimits,
  withDefaults,
} from '@browser-dht/kademlia'
import { AUTH_OVERHEAD_BYTES } from './auth/relay-seal.ts'
import type { AuthCrypto } from './auth/suite.ts'
import type { DirectLinking } from './direct/plug.ts'
import type { PeerFactory } from './peer/peer.ts'
import type { NodeIdentity } from '@browser-dht/identity'
import { maxSignedBytes } from './signaling/signed-signal.ts'
import type { Signaler } from './signaling/signaler.ts'
import { TransportError, TransportErrorCode } from './errors.ts'

const { integer, positive, positiveInteger } = option

const SECOND = 1000
const KIB = 1024

/** Each tunable: its default, and what it may be (the core's `checkOptions`). */
const TUNABLES = {
  /**
   * Peer connections (connecting or open) held at once: the budget B. Why 32: relays need a
   * connection in every non-empty bucket, and a node of an N-node network has about log2(N) of
   * them (8 at 200 nodes, 14 at 10,000). The connection manager wants one per bucket plus the
   * closest neighbours within half the budget (16, so one per bucket fits up to about 65,000
   * nodes) and leaves the other half to peers that want this node. Each connection costs a
   * tab about 0.3 MB and a heartbeat, and Chrome allows 500 RTCPeerConnections per tab, counting
   * closed ones until they are garbage-collected, so the budget stays far below it.
   */
  maxConnections: [32, positiveInteger],
  /** A connection whose data channel has not opened after this long is destroyed. */
  connectTimeoutMs: [15 * SECOND, positive],
  /** `probe(id)` rejects with ERR_PROBE_TIMEOUT when its PONG has not arrived after this long. */
  probeTimeoutMs: [5 * SECOND, positive],
  /** The heartbeat tick: an open channel silent for this long gets a ping. */
  heartbeatIntervalMs: [5 * SECOND, positive],
  /** Pings in a row that may go unanswered (nothing at all heard from the peer) before it is dead. */
  heartbeatMaxMissed: [3, positiveInteger],
  /**
   * An open connection that carried no DHT message either way for this long (and has nothing
   * queued) is idle: when the budget is full, the least recently used idle one is closed.
   */
  idleAfterMs: [30 * SECOND, positive],
  /**
   * With a connection policy (the connection manager), a connection this young is never closed to
   * make room for another: a newcomer keeps its first connection while others join.
   */
  minConnectionAgeMs: [3 * SECOND, positive],
  /** Frames queued per connection, while it connects or while its channel is above the high-water mark. */
  maxQueuedFrames: [64, positiveInteger],
  /** Bytes queued per connection (same queue as `maxQueuedFrames`). */
  maxQueuedBytes: [1024 * KIB, positive],
  /** Above this many bytes buffered in the data channel, frames wait in the queue instead. */
  highWaterMarkBytes: [256 * KIB, positive],
  /** While frames wait for the channel's buffer to drain, it is checked this often. */
  drainIntervalMs: [20, positive],
  /** ICE candidates held back until the answer has been received (dialer) or sent (answerer). */
  maxEarlyCandidates: [16, positiveInteger],
  /** Largest SDP or ICE candidate string accepted in a signal. */
  maxSignalBytes: [16 * KIB, positive],
  /**
   * A signed signal or an authenticated relay dated (by its seq) further than this from this
   * node's clock, either way, is rejected; within it, each is accepted once (per-sender replay
   * windows). Generous, so clock skew between machines does not break the overlay; it also bounds
   * how old a message a sender forgotten by the replay windows could be replayed.
   */
  maxAuthAgeMs: [10 * 60 * SECOND, positive],
  /** Senders whose recent sequence numbers are remembered (for replays), least recently heard forgotten first. */
  maxReplaySenders: [4096, positiveInteger],
  /** Sequence numbers remembered per sender; older ones than all of these are refused. */
  replayWindow: [64, positiveInteger],
  /** Public keys (and MAC keys) of other nodes remembered. */
  maxPeerKeys: [4096, positiveInteger],
  /**
   * The ID puzzle's difficulty (the network's, the same on every node): an ID is accepted only if
   * the SHA-1 of the ID starts with this many zero bits. 0 turns it off (tests).
   */
  idPuzzleBits: [DEFAULT_ID_PUZZLE_BITS, integer(0, MAX_ID_PUZZLE_BITS)],
  /** A relay frame starts with this many hops; one that arrives with more is clamped to it. */
  maxRelayHops: [8, integer(1, 255)],
  /**
   * Frames of any kind a second one peer may send this node (heartbeats, DHT messages, relays to
   * pass on or for it), after the burst; beyond it they are dropped (`frame-rate-limited`).
   */
  frameRatePerSecond: [500, positive],
  /** Frames one peer may send in a burst. */
  frameBurst: [1000, positiveInteger],
  /**
   * Public-key operations (a signature check, a MAC key's derivation) a second that the frames of
   * one peer, or the signals of one sender through a server, may cost this node, after the burst:
   * what bounds the CPU an attacker's connection can burn (RELAY.md has the figures).
   */
  authRatePerSecond: [32, positive],
  /** Public-key operations in a burst (a node joining signals and relays to many new peers at once). */
  authBurst: [64, positiveInteger],
  /** Targets for which this node remembers which peer leads toward them (and their newest presence); also its own relays awaiting a retry. */
  maxRouteHints: [2048, positiveInteger],
  /** Others' relays this node remembers passing on (to drop loops and route replies and UNDELIVERABLE back). */
  maxForwardedRelays: [4096, positiveInteger],
  /**
   * How long a relay passed on is remembered; also the most a signed relay passed on may be dated
   * off this node's clock for this node to learn the way back to its origin from it.
   */
  relayMemoryMs: [30 * SECOND, positive],
  /**
   * A node signs a new presence (its "I was here lately", carried in its relays) once its last is
   * this old. The nodes its relays pass check each new one (within their own `authRatePerSecond`)
   * and learn the way back to it. The cost: one signature every 5 s at most, off any relay's path,
   * and one check per node on the way.
   */
  presenceIntervalMs: [5000, positive],
  /**
   * After this node's open links change, each open link is told the new list (a NEIGHBOURS frame,
   * overlay/neighbours.ts) this much later: changes within it go out as one list.
   */
  neighbourListDelayMs: [2 * SECOND, positive],
  /** After a BYE, the peer connection is torn down this much later, so the BYE goes out. */
  byeLingerMs: [250, positive],
  /** A direct link's socket that has not completed its handshake after this long is closed (DIRECT.md). */
  directHandshakeTimeoutMs: [5 * SECOND, positive],
  /** Sockets dialed to this node and not yet authenticated, at once; more are closed at once (DIRECT.md). */
  maxDirectHandshakes: [32, positiveInteger],
} as const satisfies OptionTable

export const DEFAULTS: { readonly [K in keyof typeof TUNABLES]: number } = defaultsOf(TUNABLES)

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
  /**
   * Direct links to and from other Node peers, instead of WebRTC (DIRECT.md): `directLinks(sockets)`
   * from the Node entry. Default none: every connection is WebRTC, and direct offers are declined.
   */
  direct?: DirectLinking
  /** STUN/TURN servers. Default none: host candidates only (always passed to simple-peer explicitly). */
  iceServers?: IceServer[]
  /** Keep only 127.0.0.1 ICE candidates, sent and received (tests). Default false. */
  loopbackOnly?: boolean
  /** Parser limits; `maxMessageBytes` is also the largest DHT message sent. Default: the core's defaults. */
  limits?: WireLimits
  /**
   * The public-key implementation: `auto` (default) takes WebCrypto's native Ed25519 and X25519
   * when the platform has them, else @noble/curves; tests on a virtual clock pass `noble`.
   */
  authCrypto?: AuthCrypto
  /** Default `systemClock()`. */
  clock?: Clock
  /** For connection session numbers and ping nonces. Default `cryptoRandom()`. */
  random?: Random
}

export interface ResolvedOptions extends Tunables {
  id: Id
  identity: NodeIdentity
  signalers: Signaler[]
  /** Largest RELAY body accepted: an authenticated DHT message or a signed signal. */
  maxRelayBodyBytes: number
  authCrypto: AuthCrypto
  peerFactory: PeerFactory
  direct: DirectLinking | undefined
  iceServers: IceServer[]
  loopbackOnly: boolean
  limits: WireLimits
  clock: Clock
  random: Random
}

const KINDS: { readonly [K in keyof Tunables]: OptionKind } = kindsOf(TUNABLES)

function invalid(message: string): TransportError {
  return new TransportError(TransportErrorCode.INVALID_OPTION, message)
}

/** Rejects a tunable outside its range with ERR_INVALID_OPTION (what `resolveOptions` checks first; no identity needed). */
export function checkTunables(options: Partial<Tunables>): void {
  checkOptions(options, KINDS, invalid)
}

/** Fills in defaults and rejects values outside their range with ERR_INVALID_OPTION. */
export function resolveOptions(options: WebRtcTransportOptions): ResolvedOptions {
  const identity = options.identity as NodeIdentity | undefined
  if (!(identity?.id instanceof Uint8Array) || identity.id.length !== ID_BYTES) throw invalid(`identity.id must be ${ID_BYTES} bytes`)
  checkTunables(options)
  const tunables = withDefaults<Tunables>({ ...DEFAULTS }, options)
  if (!meetsIdPuzzle(identity.id, tunables.idPuzzleBits)) {
    throw new TransportError(
      TransportErrorCode.WEAK_IDENTITY,
      `identity.id solves the ID puzzle to ${puzzleBitsOf(identity.id)} bits, not ${tunables.idPuzzleBits}: create it with createIdentity()`,
    )
  }
  const authCrypto = options.authCrypto ?? 'auto'
  if (authCrypto !== 'auto' && authCrypto !== 'webcrypto' && authCrypto !== 'noble') {
    throw invalid('authCrypto must be auto, webcrypto or noble')
  }
  const limits = options.limits ?? DEFAULT_WIRE_LIMITS
  return {
    ...tunables,
    id: identity.id,
    identity,
    signalers: [...(options.signalers ?? [])],
    maxRelayBodyBytes: Math.max(limits.maxMessageBytes + AUTH_OVERHEAD_BYTES, maxSignedBytes(tunables.maxSignalBytes)),
    authCrypto,
    peerFactory: options.peerFactory,
    direct: options.direct,
    iceServers: options.iceServers ?? [],
    loopbackOnly: options.loopbackOnly ?? false,
    limits,
    clock: options.clock ?? systemClock(),
    random: options.random ?? cryptoRandom(),
  }
}
