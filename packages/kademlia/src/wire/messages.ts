/**
 * The messages peers exchange, as typed values. `codec.ts` turns them into bytes and back;
 * WIRE.md beside this file documents the byte layout.
 */
import type { Id } from '../keyspace/id.ts'

export const WIRE_VERSION = 1

/** The most contacts one NODES message may carry; `k` may not exceed it. */
export const MAX_CONTACTS_PER_MESSAGE = 64

/**
 * Why a STORE was sent. A `publish` replaces what the receiver holds; `replicate` (a holder
 * handing the record on) and `cache` (a FIND_VALUE caching a found value) only fill a gap and
 * never overwrite a newer publish.
 */
export type StoreMode = 'publish' | 'replicate' | 'cache'

export type Request =
  | { type: 'PING'; rid: number }
  /** `count`: how many contacts the asker wants (1..MAX_CONTACTS_PER_MESSAGE), usually k. */
  | { type: 'FIND_NODE'; rid: number; target: Id; count: number }
  | { type: 'FIND_VALUE'; rid: number; key: Id; count: number }
  | { type: 'STORE'; rid: number; key: Id; value: Uint8Array; ttlMs: number; mode: StoreMode }

/** Codes carried by an ERROR response. */
export const RemoteError = {
  MALFORMED: 1,
  UNKNOWN_TYPE: 2,
  VALUE_TOO_LARGE: 3,
  STORAGE_FULL: 4,
  BUSY: 5,
  INVALID_TTL: 6,
  UNSUPPORTED_VERSION: 7,
} as const
export type RemoteErrorCode = number

export type Response =
  | { type: 'PONG'; rid: number }
  | { type: 'NODES'; rid: number; nodes: Id[] }
  | { type: 'VALUE'; rid: number; value: Uint8Array; ttlMs: number }
  | { type: 'STORED'; rid: number }
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
