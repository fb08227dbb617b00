/**
 * Every bound of the signaling server, named once, with its default. The server takes any subset
 * (`createSignalingServer({ maxClients: 100 })`); the frame parsers take the `FrameLimits` part.
 * The frame limits the browser client shares are protocol/limits.ts's.
 */
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from './protocol/limits.ts'
import { checkOptions, DEFAULT_ID_PUZZLE_BITS, describeOption, DhtError, ErrorCode, isOptionValue, MAX_ID_PUZZLE_BITS, option, type OptionKind, withDefaults } from '@browser-dht/kademlia'

/** Bounds and intervals of the server. */
export interface Tunables extends FrameLimits {
  /**
   * `ws`'s `maxPayload`: a frame above this is not buffered at all; `ws` closes the socket with
   * 1009. Must be ≥ `maxFrameBytes`. Default 64 KiB (ws's own default is 100 MiB).
   */
  readonly maxPayloadBytes: number
  /** Open WebSocket connections; the next one gets `ERR_SERVER_FULL` and close 1013. Default 2,000. */
  readonly maxClients: number
  /** Peer IDs in a `registered` or `peers` frame (drawn by `introductions.ts`, never the asker). Default 8. */
  readonly maxPeersPerReply: number
  /** Token bucket per connection: frames that may arrive at once. Default 100. */
  readonly rateBurst: number
  /** Token bucket per connection: frames per second refilled. Default 20. */
  readonly ratePerSecond: number
  /** Error frames (of the kinds that count as abuse, incl. rate-limit hits) before close 1008. Default 10. */
  readonly maxStrikes: number
  /** Ping every interval; a socket that has not answered the previous ping is terminated. Default 30 s. */
  readonly heartbeatIntervalMs: number
  /** A connection that has not registered by then is closed with 1008. Default 10 s. */
  readonly registerTimeoutMs: number
  /** A signal to a peer whose socket has more than this queued unsent is dropped (`ERR_PEER_BUSY`). Default 256 KiB. */
  readonly maxBufferedBytes: number
  /** `close()` sends close frames, then terminates sockets still open after this long. Default 1 s. */
  readonly shutdownGraceMs: number
  /**
   * A socket refused on arrival (server full, or a per-address/per-network cap) gets an error
   * frame and a close frame, and is terminated if it has not closed this long after: refused
   * sockets count towards no cap, so they must not linger. Default 1 s.
   */
  readonly refusedGraceMs: number

  // ---- per client address (src/server/admission.ts). A client's address is the TCP peer's, or
  // ---- with `trustProxy` the last X-Forwarded-For entry; its network is its /24 (IPv4, and
  // ---- IPv4-mapped IPv6) or /48 (IPv6). See PROTOCOL.md, "Per-address caps".
  /**
   * Open WebSocket connections from one address; the next gets `ERR_ADDRESS_FULL` and close 4001.
   * Default 16: a household or small office behind one NAT rarely has more tabs of the app open.
   */
  readonly maxSocketsPerAddress: number
  /** Open WebSocket connections from one network; the next gets `ERR_NETWORK_FULL` and close 4002. Default 64. */
  readonly maxSocketsPerNetwork: number
  /**
   * `register` attempts a minute from one address: a token bucket holding this many, refilled
   * evenly over a minute. The next gets `ERR_ADDRESS_REGISTER_RATE` and close 4003. Default 30.
   */
  readonly registrationsPerMinutePerAddress: number
  /** The same per network (`ERR_NETWORK_REGISTER_RATE`, close 4004). Default 120. */
  readonly registrationsPerMinutePerNetwork: number
  /**
   * Registration buckets (addresses and networks) kept at once; a bucket that has refilled is
   * dropped, and beyond this the least recently used one is (it starts full again). Default 20,000.
   */
  readonly maxTrackedAddresses: number
  /**
   * Take the client's address from the last X-Forwarded-For entry (the one the reverse proxy in
   * front appended) instead of the TCP peer's. Only behind a proxy that sets it. Default false.
   */
  readonly trustProxy: boolean

  // ---- HTTP (src/server/http-hardening.ts; `hardenHttpServer` for a server the caller owns)
  /** Node's `server.headersTimeout`: a request whose headers are not complete by then gets 408. Default 10 s. */
  readonly headersTimeoutMs: number
  /** Node's `server.requestTimeout`: the whole request. At least `headersTimeoutMs`. Default 30 s. */
  readonly requestTimeoutMs: number
  /**
   * Node's `server.maxConnections`: TCP connections at once (WebSockets, plain HTTP, handshakes);
   * beyond it Node drops new ones unanswered. At least `maxClients`. Default 4,000 (2 × maxClients).
   */
  readonly maxConnections: number

  // ---- registration and introductions
  /**
   * The ID puzzle: a `register` whose ID's SHA-1 has fewer leading zero bits gets `ERR_WEAK_ID`
   * (the core's `meetsIdPuzzle`). 0 disables it; at most the core's MAX_ID_PUZZLE_BITS.
   * Default: the core's DEFAULT_ID_PUZZLE_BITS (13).
   */
  readonly idPuzzleBits: number
  /**
   * Introductions prefer peers registered at least this long (and at most one per network in one
   * reply): an attacker's fresh burst of registrations is not what a new node meets first.
   * 0: every peer counts as long-registered. Default 30 s.
   */
  readonly introduceMinAgeMs: number
}

export const DEFAULTS: Tunables = Object.freeze({
  ...DEFAULT_FRAME_LIMITS,
  maxPayloadBytes: 64 * 1024,
  maxClients: 2000,
  maxPeersPerReply: 8,
  rateBurst: 100,
  ratePerSecond: 20,
  maxStrikes: 10,
  heartbeatIntervalMs: 30_000,
  registerTimeoutMs: 10_000,
  maxBufferedBytes: 256 * 1024,
  shutdownGraceMs: 1000,
  refusedGraceMs: 1000,
  maxSocketsPerAddress: 16,
  maxSocketsPerNetwork: 64,
  registrationsPerMinutePerAddress: 30,
  registrationsPerMinutePerNetwork: 120,
  maxTrackedAddresses: 20_000,
  trustProxy: false,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 4000,
  idPuzzleBits: DEFAULT_ID_PUZZLE_BITS,
  introduceMinAgeMs: 30_000,
})

/** What each tunable may be (the core's `checkOptions`). */
const KINDS: { readonly [K in keyof Tunables]: OptionKind } = {
  maxFrameBytes: option.positiveInteger,
  maxSignalBytes: option.positiveInteger,
  maxSignalDepth: option.positiveInteger,
  maxPayloadBytes: option.positiveInteger,
  maxClients: option.positiveInteger,
  maxPeersPerReply: option.positiveInteger,
  rateBurst: option.positiveInteger,
  ratePerSecond: option.positive,
  maxStrikes: option.positiveInteger,
  heartbeatIntervalMs: option.positiveInteger,
  registerTimeoutMs: option.positiveInteger,
  maxBufferedBytes: option.positiveInteger,
  shutdownGraceMs: option.positiveInteger,
  refusedGraceMs: option.positiveInteger,
  maxSocketsPerAddress: option.positiveInteger,
  maxSocketsPerNetwork: option.positiveInteger,
  registrationsPerMinutePerAddress: option.positiveInteger,
  registrationsPerMinutePerNetwork: option.positiveInteger,
  maxTrackedAddresses: option.positiveInteger,
  trustProxy: option.boolean,
  headersTimeoutMs: option.positiveInteger,
  requestTimeoutMs: option.positiveInteger,
  maxConnections: option.positiveInteger,
  idPuzzleBits: option.integer(0, MAX_ID_PUZZLE_BITS),
  introduceMinAgeMs: option.nonNegativeInteger,
}

/** The default WebSocket path, the default port and host of the CLI. */
export const DEFAULT_PATH = '/signal'
export const DEFAULT_PORT = 8787
export const DEFAULT_HOST = '127.0.0.1'

/** Fills in defaults and checks every bound; throws ERR_INVALID_OPTION. */
export function resolveTunables(overrides: Partial<Tunables> = {}): Tunables {
  checkOptions(overrides, KINDS, invalid)
  const resolved = withDefaults<Tunables>(DEFAULTS, overrides)
  const rules: [boolean, string][] = [
    [resolved.maxPayloadBytes >= resolved.maxFrameBytes, 'maxPayloadBytes must be at least maxFrameBytes'],
    [resolved.maxSignalBytes <= resolved.maxFrameBytes, 'maxSignalBytes must be at most maxFrameBytes'],
    [resolved.maxSocketsPerNetwork >= resolved.maxSocketsPerAddress, 'maxSocketsPerNetwork must be at least maxSocketsPerAddress'],
    [resolved.registrationsPerMinutePerNetwork >= resolved.registrationsPerMinutePerAddress, 'registrationsPerMinutePerNetwork must be at least registrationsPerMinutePerAddress'],
    [resolved.requestTimeoutMs >= resolved.headersTimeoutMs, 'requestTimeoutMs must be at least headersTimeoutMs'],
    [resolved.maxConnections >= resolved.maxClients, 'maxConnections must be at least maxClients'],
  ]
  for (const [holds, message] of rules) if (!holds) throw invalid(message)
  return Object.freeze(resolved)
}

/**
 * Command-line overrides: each `name=value` names a tunable (`maxClients=500`,
 * `idPuzzleBits=0`). Throws ERR_INVALID_OPTION for an unknown name or a value of the wrong
 * kind; the bounds are then checked by `resolveTunables`.
 */
export function parseTunableAssignments(assignments: readonly string[]): Partial<Tunables> {
  const parsed: Partial<Record<keyof Tunables, number | boolean>> = {}
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=')
    const name = assignment.slice(0, Math.max(0, equals))
    if (equals < 0 || !Object.hasOwn(DEFAULTS, name)) throw invalid(`not a tunable: ${JSON.stringify(assignment.slice(0, 60))} (expected name=value, a name from DEFAULTS)`)
    const key = name as keyof Tunables
    const text = assignment.slice(equals + 1)
    const kind = KINDS[key]
    const value = kind.type === 'boolean' ? parseFlag(text) : /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined
    if (value === undefined || !isOptionValue(kind, value)) throw invalid(`${name} must be ${describeOption(kind)}, got ${JSON.stringify(text.slice(0, 40))}`)
    parsed[key] = value
  }
  return parsed as Partial<Tunables>
}

function parseFlag(text: string): boolean | undefined {
  return text === 'true' ? true : text === 'false' ? false : undefined
}

function invalid(message: string): DhtError {
  return new DhtError(ErrorCode.INVALID_OPTION, message)
}
