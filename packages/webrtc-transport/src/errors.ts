/**
 * Errors the transport raises or reports carry a stable `code`; callers and tests branch on the
 * code, never on the message text. The list below is the whole vocabulary.
 */
export const TransportErrorCode = {
  /** An option outside its allowed range. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /** The identity's ID does not solve the network's ID puzzle (`idPuzzleBits`): make one with `createIdentity`. */
  WEAK_IDENTITY: 'ERR_WEAK_IDENTITY',
  /** A signal that is not a well-formed envelope (wrong type, missing or unknown field). */
  BAD_SIGNAL: 'ERR_BAD_SIGNAL',
  /** A signal whose SDP or candidate string is longer than `maxSignalBytes`. */
  SIGNAL_TOO_LARGE: 'ERR_SIGNAL_TOO_LARGE',
  /** `probe`: there is no open data channel to that node (none, or still connecting). */
  NOT_CONNECTED: 'ERR_NOT_CONNECTED',
  /** `probe`: no PONG came back within `probeTimeoutMs`. */
  PROBE_TIMEOUT: 'ERR_PROBE_TIMEOUT',
  /** `probe`: the connection closed (or the PING could not be written) before the PONG came. */
  LINK_CLOSED: 'ERR_LINK_CLOSED',
} as const

export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode]

export class TransportError extends Error {
  readonly code: TransportErrorCode

  constructor(code: TransportErrorCode, message: string) {
    super(message)
    this.name = 'TransportError'
    this.code = code
  }
}
