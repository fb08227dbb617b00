/**
 * Errors the transport raises or reports carry a stable `code`; callers and tests branch on the
 * code, never on the message text. The list below is the whole vocabulary.
 */
export const TransportErrorCode = {
  /** An option outside its allowed range. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /** A signal that is not a well-formed envelope (wrong type, missing or unknown field). */
  BAD_SIGNAL: 'ERR_BAD_SIGNAL',
  /** A signal whose SDP or candidate string is longer than `maxSignalBytes`. */
  SIGNAL_TOO_LARGE: 'ERR_SIGNAL_TOO_LARGE',
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
