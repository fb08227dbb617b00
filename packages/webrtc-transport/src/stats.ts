import { RELAY_REJECTIONS, type RelayRejection } from './auth/relay-seal.ts'
import { SIGNAL_REJECTIONS, type SignalRejection } from './signaling/signed-signal.ts'
import { UNDELIVERABLE_REASONS, type UndeliverableReason } from './wire/frames.ts'

/**
 * What the transport counts. Every message, frame or signal it does not pass on is counted under
 * exactly one drop reason, and every connection that ends under exactly one close reason.
 */

export const DROP_REASONS = [
  // DHT messages this node sends
  /** `send` after `close`. */
  'transport-closed',
  /** `send` to this node's own ID. */
  'self',
  /** The encoded message is larger than `limits.maxMessageBytes`. */
  'message-too-large',
  /** No connection to the target, and the budget is full with no idle connection to close. */
  'budget-full',
  /** The connection is still opening and already holds `maxQueuedFrames` / `maxQueuedBytes`. */
  'pending-queue-full',
  /** The channel is above its high-water mark and the queue is full. */
  'send-queue-full',
  /** The data channel threw on send (the connection is closed with reason `error`). */
  'send-failed',
  /** Frames still queued when a connection that never opened was given up. */
  'connect-failed',
  /** Frames still queued when an open connection closed. */
  'link-closed',
  /** The peer factory threw (in Chrome: too many RTCPeerConnections). */
  'peer-create-failed',
  // frames received
  /** A DHT frame larger than `limits.maxMessageBytes` plus its type byte. */
  'frame-too-large',
  /** An empty or non-binary channel message. */
  'empty-frame',
  /** A frame type byte this version does not know. */
  'unknown-frame',
  /** A PING or PONG frame that is not 5 bytes. */
  'malformed-heartbeat',
  /** A RELAY frame too short, with unknown flags, or a seq beyond 2^53. */
  'malformed-relay',
  /** An UNDELIVERABLE frame of the wrong length or with an unknown reason. */
  'malformed-undeliverable',
  /** The peer sent more than `frameRatePerSecond` frames a second beyond `frameBurst`. */
  'frame-rate-limited',
  /** A BYE frame that is not 2 bytes with a known reason. */
  'malformed-bye',
  /** A NEIGHBOURS frame whose length is not its count's, or that lists more than MAX_LISTED_NEIGHBOURS. */
  'malformed-neighbours',
  // relays this node was asked to pass on (the origin is told why, in an UNDELIVERABLE)
  /** No open channel to the target and no peer closer to it than this node. */
  'relay-no-route',
  /** The relay arrived with its last hop and this node is not its target. */
  'relay-hop-limit',
  /** The next hop's queue was full. */
  'relay-queue-full',
  /**
   * A relay this node passed on lately came again (a loop, or a replay by a peer), or one of its
   * own came back to it (then tried once more along another first hop, else given up).
   */
  'relay-loop',
  /** An UNDELIVERABLE about a relay this node never handed to the peer it came from (a forgery, or a late one). */
  'undeliverable-unmatched',
  /** A DHT relay for this node that failed its authentication (see `relaysRejected` for why): nothing is answered. */
  'relay-unauthenticated',
  /** A DHT message this node could not seal for a relay (the platform's crypto failed). */
  'seal-failed',
  /** A DHT message arrived before `listen` was called. */
  'no-handler',
  // signals
  /** A signal that failed its checks (see `signalsRejected` for why), or whose signer is not the sender its carrier named. */
  'bad-signal',
  /** A signal this node could not send: no overlay route, and no signaling server took it. */
  'no-signal-route',
  /** An answer or candidate for a connection attempt this node does not have (any more). */
  'stale-signal',
  /** An offer from a node this node is dialing itself, and this node's ID is lower (it wins). */
  'glare',
  /** An offer refused because the budget is full (a `refuse` signal is sent back). */
  'refused',
  /** With `loopbackOnly`: a candidate that is not 127.0.0.1 (sent or received). */
  'non-loopback-candidate',
  /** A signal simple-peer emitted that a data-only connection does not use (renegotiation). */
  'unsupported-signal',
  /** More than `maxEarlyCandidates` candidates to hold back before the answer was received or sent. */
  'candidate-overflow',
  /** The signaler or simple-peer threw on a signal. */
  'signal-failed',
] as const

export type DropReason = (typeof DROP_REASONS)[number]

/**
 * Why a direct-link handshake (DIRECT.md) failed: a HELLO that is not one (or a second message
 * before the WELCOME), a token no dial of this node's offered, a key that is not the dialed node's,
 * no budget for the key derivation, a tag that does not check (HELLO, WELCOME or a later frame),
 * no HELLO or WELCOME in time, or too many unauthenticated sockets already.
 */
export const DIRECT_REJECTIONS = ['malformed', 'unknown-token', 'bad-key', 'rate-limited', 'bad-tag', 'timeout', 'too-many'] as const
export type DirectRejection = (typeof DIRECT_REJECTIONS)[number]

export const CLOSE_REASONS = [
  /** The remote closed the connection, or the channel closed under it. */
  'remote-closed',
  /** simple-peer reported an error (ICE failure, SCTP abort, send failure). */
  'error',
  /** The data channel did not open within `connectTimeoutMs`. */
  'connect-timeout',
  /** `heartbeatMaxMissed` pings in a row went unanswered. */
  'heartbeat',
  /** Closed to make room in the budget (the remote is told so with BYE). */
  'evicted',
  /** The remote said it is leaving (BYE leaving): the node is gone. */
  'remote-left',
  /** The remote closed the connection to make room in its budget (BYE budget): it is still alive. */
  'remote-evicted',
  /** The remote dialed again (a new offer) while this connection existed. */
  'replaced',
  /** Both sides dialed at once and the remote's ID is lower: its connection is used instead. */
  'glare-lost',
  /** The remote refused the connection (its budget is full). */
  'refused',
  /** `disconnect(id)` was called. */
  'disconnected',
  /** `close()` was called. */
  'transport-closed',
] as const

export type CloseReason = (typeof CLOSE_REASONS)[number]

/**
 * Reasons an open connection closes that mean the peer itself is gone (it said it is leaving, or
 * the channel died under us): a node drops it from its routing table at once. A peer that closed
 * the connection for its budget's sake (`remote-evicted`) is still there, reachable by relay.
 */
export const PEER_GONE: ReadonlySet<CloseReason> = new Set<CloseReason>(['remote-left', 'remote-closed', 'error', 'heartbeat'])

export interface TransportStats {
  /** Connections whose data channel is open. */
  open: number
  /** Connections still being set up. */
  connecting: number
  /** Peer connections created since the start (dialed and accepted). */
  connectionsCreated: number
  /** The most connections (connecting or open) held at once since the start. */
  peakConnections: number
  /** Of those, how many opened. */
  connectionsOpened: number
  framesSent: number
  bytesSent: number
  framesReceived: number
  bytesReceived: number
  /** Heartbeat PINGs sent, and PONGs received that were not answers to a probe. */
  pingsSent: number
  pongsReceived: number
  /** PINGs sent by `probe`, and the PONGs that answered them in time. */
  probesSent: number
  probesAnswered: number
  /** Signals sent, and how: through overlay relays or through a signaling server. */
  signalsSent: number
  signalsViaOverlay: number
  signalsViaServer: number
  /** Signals accepted (signature, freshness and replay checks passed). */
  signalsReceived: number
  /** Signals rejected, by reason. */
  signalsRejected: Record<SignalRejection, number>
  /** DHT relays for this node that failed authentication, by reason. */
  relaysRejected: Record<RelayRejection, number>
  /** Direct links (DIRECT.md): offers this node made, offers it declined, links opened, handshakes and frames rejected by reason. */
  directOffered: number
  directDeclined: number
  directOpened: number
  directRejected: Record<DirectRejection, number>
  /**
   * Public-key operations spent on what arrived: signature checks of signals and relays, and MAC
   * key derivations for new peers. Bounded per peer by `authRatePerSecond`.
   */
  authOperations: number
  /** DHT relays this node started, signed (the target's key was not known yet) and MAC'd. */
  relaysSigned: number
  relaysMac: number
  /** Presences this node signed (one every `presenceIntervalMs` at most, while it sends relays). */
  presencesSigned: number
  /** Relay frames this node started (DHT messages and signals to nodes it has no channel to). */
  relaysSent: number
  /** Relays this node started again along another first hop after an UNDELIVERABLE. */
  relaysRetried: number
  /** Relay frames this node passed on for others. */
  relaysForwarded: number
  /** Relay frames that arrived with more than `maxRelayHops` hops and were clamped to it. */
  relaysClamped: number
  /** UNDELIVERABLE frames this node passed back toward a relay's origin. */
  undeliverablePassedBack: number
  /** Route hints and neighbour listings forgotten because a relay sent along one came back UNDELIVERABLE (relays.ts). */
  hintsForgotten: number
  /** Relays passed on for others that brought a new presence of their origin: the way back to it was learned. */
  routesLearnedOnTheWay: number
  /** Presences in relays passed on whose signature did not check out (forged or altered): nothing learned. */
  presencesRejected: number
  /** Relay frames that reached this node as their target. */
  relaysReceived: number
  /** NEIGHBOURS frames (overlay/neighbours.ts): lists of this node's open links sent, and peers' lists received. */
  neighbourListsSent: number
  neighbourListsReceived: number
  /** Peers' listings passed over for a request because one through them is unanswered (neighbours.ts). */
  neighbourListingsPassedOver: number
  /** UNDELIVERABLE notices about relays this node started, by the reason the relay gave. */
  undeliverable: Record<UndeliverableReason, number>
  dropped: Record<DropReason, number>
  closed: Record<CloseReason, number>
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>
}

/** The counters shared by the transport and its connections. */
export class Counters {
  connectionsCreated = 0
  peakConnections = 0
  connectionsOpened = 0
  framesSent = 0
  bytesSent = 0
  framesReceived = 0
  bytesReceived = 0
  pingsSent = 0
  pongsReceived = 0
  probesSent = 0
  probesAnswered = 0
  signalsSent = 0
  signalsViaOverlay = 0
  signalsViaServer = 0
  signalsReceived = 0
  readonly signalsRejected = zeros(SIGNAL_REJECTIONS)
  readonly relaysRejected = zeros(RELAY_REJECTIONS)
  directOffered = 0
  directDeclined = 0
  directOpened = 0
  readonly directRejected = zeros(DIRECT_REJECTIONS)
  authOperations = 0
  relaysSigned = 0
  relaysMac = 0
  presencesSigned = 0
  relaysSent = 0
  relaysRetried = 0
  relaysForwarded = 0
  relaysClamped = 0
  undeliverablePassedBack = 0
  hintsForgotten = 0
  routesLearnedOnTheWay = 0
  presencesRejected = 0
  relaysReceived = 0
  neighbourListsSent = 0
  neighbourListsReceived = 0
  neighbourListingsPassedOver = 0
  readonly undeliverable = zeros(UNDELIVERABLE_REASONS)
  readonly dropped = zeros(DROP_REASONS)
  readonly closed = zeros(CLOSE_REASONS)

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] += count
  }

  snapshot(open: number, connecting: number): TransportStats {
    const { dropped, closed, signalsRejected, relaysRejected, directRejected, undeliverable, ...counts } = this
    return {
      open,
      connecting,
      ...counts,
      signalsRejected: { ...signalsRejected },
      relaysRejected: { ...relaysRejected },
      directRejected: { ...directRejected },
      undeliverable: { ...undeliverable },
      dropped: { ...dropped },
      closed: { ...closed },
    }
  }
}
