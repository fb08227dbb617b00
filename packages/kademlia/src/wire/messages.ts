/**
 * The messages peers exchange, as typed values. `codec.ts` turns them into bytes and back;
 * WIRE.md beside this file documents the byte layout.
 */
import { ErrorCode } from '../errors.ts'
import type { Id } from '../keyspace/id.ts'
import type { SignedRecord } from '../records/signed-record.ts'

/** Version 2: records carry their proof (signed-record.ts). A version-1 peer gets ERR_UNSUPPORTED_VERSION. */
export const WIRE_VERSION = 2

/** The most contacts one NODES message may carry; `k` may not exceed it. */
export const MAX_CONTACTS_PER_MESSAGE = 64

/**
 * Why a STORE was sent: `publish` (the publisher's put and republish), `replicate` (a holder
 * handing a record on, read repair, adoption) or `cache` (a get caching what it found). The rules
 * for accepting a record are the same for all (its proof and seq decide); the mode is counted,
 * and only a publish may carry `cas`.
 */
export type StoreMode = 'publish' | 'replicate' | 'cache'

/** A record with the time it has left to live (TTLs travel as time remaining). */
export interface TimedRecord {
  record: SignedRecord
  ttlMs: number
}

export type Request =
  | { type: 'PING'; rid: number }
  /** `count`: how many contacts the asker wants (1..MAX_CONTACTS_PER_MESSAGE), usually k. */
  | { type: 'FIND_NODE'; rid: number; target: Id; count: number }
  | { type: 'FIND_VALUE'; rid: number; key: Id; count: number }
  /** `cas` (mutable items, publish only): store only if the holder's seq is this one (BEP 44). */
  | { type: 'STORE'; rid: number; key: Id; record: SignedRecord; ttlMs: number; mode: StoreMode; cas?: number | undefined }

/** Codes carried by an ERROR response. */
export const RemoteError = {
  MALFORMED: 1,
  UNKNOWN_TYPE: 2,
  VALUE_TOO_LARGE: 3,
  STORAGE_FULL: 4,
  BUSY: 5,
  INVALID_TTL: 6,
  UNSUPPORTED_VERSION: 7,
  BAD_SIGNATURE: 8,
  KEY_MISMATCH: 9,
  SEQ_TOO_LOW: 10,
  CAS_MISMATCH: 11,
  SALT_TOO_BIG: 12,
  NOT_CLOSE: 13,
  KEY_FULL: 14,
  SENDER_QUOTA: 15,
  WEAK_ID: 16,
  RATE_LIMITED: 17,
} as const
export type RemoteErrorCode = number

/** The ERROR code each refusal travels as; `errorOfRemote` reads it back. */
export const REMOTE_CODE_OF: Partial<Record<ErrorCode, RemoteErrorCode>> = {
  [ErrorCode.MALFORMED_MESSAGE]: RemoteError.MALFORMED,
  [ErrorCode.UNKNOWN_MESSAGE_TYPE]: RemoteError.UNKNOWN_TYPE,
  [ErrorCode.VALUE_TOO_LARGE]: RemoteError.VALUE_TOO_LARGE,
  [ErrorCode.STORAGE_FULL]: RemoteError.STORAGE_FULL,
  [ErrorCode.INVALID_TTL]: RemoteError.INVALID_TTL,
  [ErrorCode.UNSUPPORTED_VERSION]: RemoteError.UNSUPPORTED_VERSION,
  [ErrorCode.BAD_SIGNATURE]: RemoteError.BAD_SIGNATURE,
  [ErrorCode.KEY_MISMATCH]: RemoteError.KEY_MISMATCH,
  [ErrorCode.SEQ_TOO_LOW]: RemoteError.SEQ_TOO_LOW,
  [ErrorCode.CAS_MISMATCH]: RemoteError.CAS_MISMATCH,
  [ErrorCode.SALT_TOO_BIG]: RemoteError.SALT_TOO_BIG,
  [ErrorCode.NOT_CLOSE]: RemoteError.NOT_CLOSE,
  [ErrorCode.KEY_FULL]: RemoteError.KEY_FULL,
  [ErrorCode.SENDER_QUOTA]: RemoteError.SENDER_QUOTA,
  [ErrorCode.WEAK_ID]: RemoteError.WEAK_ID,
  [ErrorCode.RATE_LIMITED]: RemoteError.RATE_LIMITED,
}

const ERROR_OF_REMOTE = new Map(Object.entries(REMOTE_CODE_OF).map(([error, remote]) => [remote, error as ErrorCode]))

/** The refusal an ERROR code stands for (undefined for BUSY and codes this version does not know). */
export function errorOfRemote(code: RemoteErrorCode): ErrorCode | undefined {
  return ERROR_OF_REMOTE.get(code)
}

export type Response =
  | { type: 'PONG'; rid: number }
  | { type: 'NODES'; rid: number; nodes: Id[] }
  /** The records held under the key (at least one), and closer nodes, so a get can go on asking. */
  | { type: 'VALUE'; rid: number; records: TimedRecord[]; nodes: Id[] }
  /**
   * A replica STORE's answer names the holder's k closest to the key (as NODES would), so that
   * replication can go on storing as a lookup goes on asking (none for the other modes).
   */
  | { type: 'STORED'; rid: number; nodes: Id[] }
  | { type: 'ERROR'; rid: number; code: RemoteErrorCode }

export type Message = Request | Response
export type RequestType = Request['type']
export type ResponseType = Response['type']

/** The response types that may answer each request type. */
export const ANSWERS: Record<RequestType, readonly ResponseType[]> = {
  PING: ['PONG', 'ERROR'],
  FIND_NODE: ['NODES', 'ERROR'],
  FIND_VALUE: ['VALUE', 'NODES', 'ERROR'],
  STORE: ['STORED', 'ERROR'],
}

export function isRequest(message: Message): message is Request {
  return message.type in ANSWERS
}
