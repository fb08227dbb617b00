/**
 * Every error the core raises is a DhtError with a stable `code`. Tests and callers branch on the
 * code, never on the message text. The list below is the whole vocabulary.
 */
export const ErrorCode = {
  /** An ID or key that is not 20 bytes / 40 hex characters. */
  INVALID_ID: 'ERR_INVALID_ID',
  /** A value larger than `maxValueBytes`. */
  VALUE_TOO_LARGE: 'ERR_VALUE_TOO_LARGE',
  /** Bytes larger than `maxMessageBytes` arrived or were about to be sent. */
  MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE',
  /** Bytes that are not a well-formed message (truncated, trailing bytes, bad field). */
  MALFORMED_MESSAGE: 'ERR_MALFORMED_MESSAGE',
  /** A message whose type byte this version does not know. */
  UNKNOWN_MESSAGE_TYPE: 'ERR_UNKNOWN_MESSAGE_TYPE',
  /** A message whose version byte this version does not speak. */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** A response to a request this node never sent (or already settled), or from the wrong peer. */
  UNEXPECTED_RESPONSE: 'ERR_UNEXPECTED_RESPONSE',
  /** A response whose type does not answer the request (e.g. PONG to FIND_NODE). */
  WRONG_RESPONSE_TYPE: 'ERR_WRONG_RESPONSE_TYPE',
  /** No response within `requestTimeoutMs`. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** The transport learned the request cannot reach the peer (a relay found no way to it). */
  UNREACHABLE: 'ERR_UNREACHABLE',
  /** The caller's AbortSignal fired. */
  ABORTED: 'ERR_ABORTED',
  /** `maxInflightRequests` requests are already waiting for answers. */
  TOO_MANY_REQUESTS: 'ERR_TOO_MANY_REQUESTS',
  /** The peer answered with an ERROR message; `remoteCode` says why. */
  REMOTE_ERROR: 'ERR_REMOTE_ERROR',
  /** The record store is at `maxStoredBytes` or `maxRecords`. */
  STORAGE_FULL: 'ERR_STORAGE_FULL',
  /** A TTL of zero, negative, or above `maxTtlMs`. */
  INVALID_TTL: 'ERR_INVALID_TTL',
  /** The routing table is empty, so there is nobody to ask. */
  NO_PEERS: 'ERR_NO_PEERS',
  /** `put` found nodes but none of them stored the value. */
  PUT_FAILED: 'ERR_PUT_FAILED',
  /** The node is not started, or has been stopped. */
  NOT_RUNNING: 'ERR_NOT_RUNNING',
  /** An option outside its allowed range. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /**
   * A message from a peer not in the routing table whose ID does not solve the network's ID
   * puzzle (`idPuzzleBits` leading zero bits of SHA-1(ID)): not served, not added.
   */
  WEAK_ID: 'ERR_WEAK_ID',
  /** A record whose signature is not its publisher's (or a publisher key that is not usable). */
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE',
  /** A record that does not belong under the key it came with (BEP 44 key or content hash). */
  KEY_MISMATCH: 'ERR_KEY_MISMATCH',
  /** A record whose seq is not above the one held for its publisher (or equal, with another value). */
  SEQ_TOO_LOW: 'ERR_SEQ_TOO_LOW',
  /** A mutable put with `cas` whose seq is not the one the holder has. */
  CAS_MISMATCH: 'ERR_CAS_MISMATCH',
  /** A BEP 44 salt longer than 64 bytes. */
  SALT_TOO_BIG: 'ERR_SALT_TOO_BIG',
  /** A STORE of a key this node is not among the k closest to (it knows k closer, and the key is outside `storeSlack`). */
  NOT_CLOSE: 'ERR_NOT_CLOSE',
  /** A named value from a new publisher under a key that holds `maxPublishersPerKey` already. */
  KEY_FULL: 'ERR_KEY_FULL',
  /** A STORE from a sender that already has `maxRecordsPerSender` records stored here. */
  SENDER_QUOTA: 'ERR_SENDER_QUOTA',
  /** A STORE from a sender over its budget of signature checks (`recordChecksPerSecond`). */
  RATE_LIMITED: 'ERR_RATE_LIMITED',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export class DhtError extends Error {
  readonly code: ErrorCode
  /** With ERR_REMOTE_ERROR: the code the peer sent (see `RemoteError` in wire/messages.ts). */
  readonly remoteCode: number | undefined

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; remoteCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DhtError'
    this.code = code
    this.remoteCode = options?.remoteCode
  }
}

/** True when `error` is a DhtError with the given code. */
export function isDhtError(error: unknown, code?: ErrorCode): error is DhtError {
  return error instanceof DhtError && (code === undefined || error.code === code)
}
