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
  /** A frame type byte other than 0, 1, 2. */
  'unknown-frame',
  /** A PING or PONG frame that is not 5 bytes. */
  'malformed-heartbeat',
  /** A DHT message arrived before `listen` was called. */
  'no-handler',
  // signals
  /** A signal that did not parse, or came from an invalid or this node's own ID. */
  'bad-signal',
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

export const CLOSE_REASONS = [
  /** The remote closed the connection, or the channel closed under it. */
  'remote-closed',
  /** simple-peer reported an error (ICE failure, SCTP abort, send failure). */
  'error',
  /** The data channel did not open within `connectTimeoutMs`. */
  'connect-timeout',
  /** `heartbeatMaxMissed` pings in a row went unanswered. */
  'heartbeat',
  /** Closed as the least recently used idle connection to make room in the budget. */
  'evicted',
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

export interface TransportStats {
  /** Connections whose data channel is open. */
  open: number
  /** Connections still being set up. */
  connecting: number
  /** Peer connections created since the start (dialed and accepted). */
  connectionsCreated: number
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
  signalsSent: number
  signalsReceived: number
  dropped: Record<DropReason, number>
  closed: Record<CloseReason, number>
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>
}

/** The counters shared by the transport and its connections. */
export class Counters {
  connectionsCreated = 0
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
  signalsReceived = 0
  readonly dropped = zeros(DROP_REASONS)
  readonly closed = zeros(CLOSE_REASONS)

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] += count
  }

  snapshot(open: number, connecting: number): TransportStats {
    const { dropped, closed, ...counts } = this
    return { open, connecting, ...counts, dropped: { ...dropped }, closed: { ...closed } }
  }
}
