/**
 * Every error the signaling server reports travels as `{"type":"error","code":…,"message":…}`.
 * Clients and tests branch on `code`, never on the message text. This list is the whole
 * vocabulary; PROTOCOL.md describes when each one is sent.
 */
export const SignalingErrorCode = {
  /** The frame is larger than `maxFrameBytes` (frames above `maxPayloadBytes` close with 1009). */
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** A binary WebSocket frame; the protocol speaks JSON text frames only. */
  BINARY_FRAME: 'ERR_BINARY_FRAME',
  /** Not UTF-8, not JSON, or not a JSON object with a string `type`. */
  MALFORMED_FRAME: 'ERR_MALFORMED_FRAME',
  /** A `type` this version does not know. */
  UNKNOWN_FRAME_TYPE: 'ERR_UNKNOWN_FRAME_TYPE',
  /** A field that is missing, of the wrong type or length, not lowercase hex, or not allowed. */
  INVALID_FIELD: 'ERR_INVALID_FIELD',
  /** A signal's `data` is larger than `maxSignalBytes` once serialized. */
  SIGNAL_TOO_LARGE: 'ERR_SIGNAL_TOO_LARGE',
  /** A signal's `data` nests objects/arrays deeper than `maxSignalDepth`. */
  SIGNAL_TOO_DEEP: 'ERR_SIGNAL_TOO_DEEP',
  /**
   * The ID (SHA-1 of the public key) does not solve the ID puzzle: the SHA-1 of the ID has fewer
   * than `idPuzzleBits` leading zero bits. Checked before the signature. Not worth retrying with
   * the same key.
   */
  WEAK_ID: 'ERR_WEAK_ID',
  /** The signature does not verify over this connection's challenge, or the key is unusable. */
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE',
  /** A second `register` on a connection that is already registered. */
  ALREADY_REGISTERED: 'ERR_ALREADY_REGISTERED',
  /** `signal` or `peers` before a successful `register`. */
  NOT_REGISTERED: 'ERR_NOT_REGISTERED',
  /** The `to` of a signal is not registered (it may just have left). Carries `peer`. */
  UNKNOWN_PEER: 'ERR_UNKNOWN_PEER',
  /** The target's send buffer is above `maxBufferedBytes`; the signal was dropped. Carries `peer`. */
  PEER_BUSY: 'ERR_PEER_BUSY',
  /** The connection sent faster than its token bucket allows; the frame was dropped. */
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  /** `maxClients` connections are open; the socket is closed with 1013 right after. */
  SERVER_FULL: 'ERR_SERVER_FULL',
  /** `maxSocketsPerAddress` connections are open from your address; closed with 4001 right after. */
  ADDRESS_FULL: 'ERR_ADDRESS_FULL',
  /** `maxSocketsPerNetwork` connections are open from your /24 or /48; closed with 4002 right after. */
  NETWORK_FULL: 'ERR_NETWORK_FULL',
  /** Your address used up `registrationsPerMinutePerAddress`; closed with 4003 right after. */
  ADDRESS_REGISTER_RATE: 'ERR_ADDRESS_REGISTER_RATE',
  /** Your /24 or /48 used up `registrationsPerMinutePerNetwork`; closed with 4004 right after. */
  NETWORK_REGISTER_RATE: 'ERR_NETWORK_REGISTER_RATE',
  /** Another connection registered this ID with a fresh valid signature; closed with 4000. */
  REPLACED: 'ERR_REPLACED',
  /** A bug in the server; the connection stays open. */
  INTERNAL: 'ERR_INTERNAL',
} as const

export type SignalingErrorCode = (typeof SignalingErrorCode)[keyof typeof SignalingErrorCode]

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(SignalingErrorCode))

export function isSignalingErrorCode(value: string): value is SignalingErrorCode {
  return ALL_CODES.has(value)
}

/**
 * What the browser client throws (e.g. `sendSignal` before registering); `code` is a
 * SignalingErrorCode (or a client code), `closeCode` the WebSocket close code when the error is
 * the socket closing.
 */
export class SignalingError extends Error {
  readonly code: SignalingErrorCode | string
  readonly closeCode: number | undefined

  constructor(code: SignalingErrorCode | string, message: string, closeCode?: number) {
    super(message)
    this.name = 'SignalingError'
    this.code = code
    this.closeCode = closeCode
  }
}

/** WebSocket close codes the server uses (besides 1009, which `ws` sends for oversized frames). */
export const CloseCode = {
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** Too many errors, or no valid `register` within `registerTimeoutMs`. */
  POLICY_VIOLATION: 1008,
  /** A frame above `maxPayloadBytes` (sent by `ws` itself). */
  MESSAGE_TOO_BIG: 1009,
  /** `maxClients` reached. */
  TRY_AGAIN_LATER: 1013,
  /** The same ID registered from a newer connection. Clients should not reconnect on this code. */
  REPLACED: 4000,
  /** Too many connections from your address (`maxSocketsPerAddress`). */
  ADDRESS_FULL: 4001,
  /** Too many connections from your network, its /24 or /48 (`maxSocketsPerNetwork`). */
  NETWORK_FULL: 4002,
  /** Too many registrations a minute from your address (`registrationsPerMinutePerAddress`). */
  ADDRESS_REGISTER_RATE: 4003,
  /** Too many registrations a minute from your network (`registrationsPerMinutePerNetwork`). */
  NETWORK_REGISTER_RATE: 4004,
} as const

/**
 * Refusals a client should answer by waiting longer before it tries again (the signaling link
 * doubles its wait on each in a row): the caps, and an ID the server will never take.
 */
export const BACK_OFF_ERROR_CODES: ReadonlySet<string> = new Set<string>([
  SignalingErrorCode.SERVER_FULL,
  SignalingErrorCode.ADDRESS_FULL,
  SignalingErrorCode.NETWORK_FULL,
  SignalingErrorCode.ADDRESS_REGISTER_RATE,
  SignalingErrorCode.NETWORK_REGISTER_RATE,
  SignalingErrorCode.WEAK_ID,
])

/** The close codes of the caps, for a client that saw the close but not the error frame. */
export const BACK_OFF_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.TRY_AGAIN_LATER,
  CloseCode.ADDRESS_FULL,
  CloseCode.NETWORK_FULL,
  CloseCode.ADDRESS_REGISTER_RATE,
  CloseCode.NETWORK_REGISTER_RATE,
])
