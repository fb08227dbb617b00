/** The peer package's one set of error codes (the core's and the transport's pass through unchanged). */
export const PeerErrorCode = {
  /** An option is missing, of the wrong type or out of range. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /** The peer was closed; nothing more can be asked of it. */
  CLOSED: 'ERR_CLOSED',
  /** No WebRTC implementation: in Node, install `node-datachannel` (0.33) or pass `peerFactory`. */
  NO_WEBRTC: 'ERR_NO_WEBRTC',
  /** The node's database could not be locked for this tab (another tab took every ID tried). */
  LOCKED: 'ERR_LOCKED',
} as const

export type PeerErrorCode = (typeof PeerErrorCode)[keyof typeof PeerErrorCode]

export class PeerError extends Error {
  readonly code: PeerErrorCode

  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerError'
    this.code = code
  }
}
