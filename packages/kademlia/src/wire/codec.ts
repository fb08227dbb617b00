/**
 * The binary wire format (see WIRE.md). `encodeMessage` writes a typed message;
 * `decodeMessage` is the one function that reads bytes from outside: it turns any bytes into a
 * typed message or a typed error and never throws.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { ID_BYTES } from '../keyspace/id.ts'
import {
  MAX_CONTACTS_PER_MESSAGE,
  type Message,
  RemoteError,
  type StoreMode,
  WIRE_VERSION,
} from './messages.ts'

const TYPE_CODES = {
  PING: 0x01,
  FIND_NODE: 0x02,
  FIND_VALUE: 0x03,
  STORE: 0x04,
  PONG: 0x81,
  NODES: 0x82,
  VALUE: 0x83,
  STORED: 0x84,
  ERROR: 0xff,
} as const satisfies Record<Message['type'], number>

const STORE_MODES: readonly StoreMode[] = ['publish', 'replicate', 'cache']

/** Bytes before any body: version, type, request id. */
export const HEADER_BYTES = 6

export interface WireLimits {
  /** Largest value a STORE or VALUE may carry. */
  maxValueBytes: number
  /** Largest message accepted at all (checked before anything is parsed). */
  maxMessageBytes: number
}

export type DecodeResult =
  | { ok: true; message: Message }
  /** `rid` and `isRequest` are set when the header was readable, so the sender can be answered. */
  | { ok: false; error: DhtError; rid?: number; isRequest?: boolean; remoteCode: number }

export function encodeMessage(message: Message): Uint8Array {
  const bodyLength = bodyBytes(message)
  const out = new Uint8Array(HEADER_BYTES + bodyLength)
  const view = new DataView(out.buffer)
  out[0] = WIRE_VERSION
  out[1] = TYPE_CODES[message.type]
  view.setUint32(2, message.rid >>> 0)
  let at = HEADER_BYTES
  switch (message.type) {
    case 'PING':
    case 'PONG':
    case 'STORED':
      break
    case 'FIND_NODE':
      out.set(message.target, at)
      out[at + ID_BYTES] = message.count
      break
    case 'FIND_VALUE':
      out.set(message.key, at)
      out[at + ID_BYTES] = message.count
      break
    case 'STORE':
      out[at++] = STORE_MODES.indexOf(message.mode)
      view.setUint32(at, message.ttlMs >>> 0)
      at += 4
      out.set(message.key, at)
      at += ID_BYTES
      view.setUint32(at, message.value.length)
      out.set(message.value, at + 4)
      break
    case 'NODES':
      out[at++] = message.nodes.length
      for (const id of message.nodes) {
        out.set(id, at)
        at += ID_BYTES
      }
      break
    case 'VALUE':
      view.setUint32(at, message.ttlMs >>> 0)
      view.setUint32(at + 4, message.value.length)
      out.set(message.value, at + 8)
      break
    case 'ERROR':
      out[at] = message.code
      break
  }
  return out
}

function bodyBytes(message: Message): number {
  switch (message.type) {
    case 'PING':
    case 'PONG':
    case 'STORED':
      return 0
    case 'FIND_NODE':
    case 'FIND_VALUE':
      return ID_BYTES + 1
    case 'STORE':
      return 1 + 4 + ID_BYTES + 4 + message.value.length
    case 'NODES':
      return 1 + message.nodes.length * ID_BYTES
    case 'VALUE':
      return 8 + message.value.length
    case 'ERROR':
      return 1
  }
}

class Reader {
  at = HEADER_BYTES
  readonly view: DataView

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) throw malformed(`truncated ${what}`)
  }

  u8(what: string): number {
    this.need(1, what)
    return this.bytes[this.at++]!
  }

  u32(what: string): number {
    this.need(4, what)
    const value = this.view.getUint32(this.at)
    this.at += 4
    return value
  }

  /**
   * A copy, so the message buffer is not kept alive by what is stored. Made from a plain view:
   * on a Node Buffer (what Node's channels deliver) `slice` would return a view, not a copy.
   */
  copy(n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.at, n).slice()
    this.at += n
    return out
  }

  end(): void {
    if (this.at !== this.bytes.length) throw malformed(`${this.bytes.length - this.at} trailing bytes`)
  }
}

function malformed(detail: string): DhtError {
  return new DhtError(ErrorCode.MALFORMED_MESSAGE, `malformed message: ${detail}`)
}

function value(reader: Reader, limits: WireLimits): Uint8Array {
  const length = reader.u32('value length')
  if (length > limits.maxValueBytes) {
    throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `value of ${length} bytes exceeds ${limits.maxValueBytes}`)
  }
  return reader.copy(length, 'value')
}

function contactCount(reader: Reader): number {
  const count = reader.u8('contact count')
  if (count < 1 || count > MAX_CONTACTS_PER_MESSAGE) throw malformed(`asks for ${count} contacts, not 1..${MAX_CONTACTS_PER_MESSAGE}`)
  return count
}

function decodeBody(type: number, rid: number, reader: Reader, limits: WireLimits): Message {
  switch (type) {
    case TYPE_CODES.PING:
      return { type: 'PING', rid }
    case TYPE_CODES.PONG:
      return { type: 'PONG', rid }
    case TYPE_CODES.STORED:
      return { type: 'STORED', rid }
    case TYPE_CODES.FIND_NODE: {
      const target = reader.copy(ID_BYTES, 'target')
      return { type: 'FIND_NODE', rid, target, count: contactCount(reader) }
    }
    case TYPE_CODES.FIND_VALUE: {
      const key = reader.copy(ID_BYTES, 'key')
      return { type: 'FIND_VALUE', rid, key, count: contactCount(reader) }
    }
    case TYPE_CODES.STORE: {
      const mode = STORE_MODES[reader.u8('store mode')]
      if (mode === undefined) throw malformed('unknown store mode')
      const ttlMs = reader.u32('ttl')
      const key = reader.copy(ID_BYTES, 'key')
      return { type: 'STORE', rid, mode, ttlMs, key, value: value(reader, limits) }
    }
    case TYPE_CODES.NODES: {
      const count = reader.u8('contact count')
      if (count > MAX_CONTACTS_PER_MESSAGE) throw malformed(`${count} contacts exceed ${MAX_CONTACTS_PER_MESSAGE}`)
      const nodes = []
      for (let i = 0; i < count; i++) nodes.push(reader.copy(ID_BYTES, 'contact id'))
      return { type: 'NODES', rid, nodes }
    }
    case TYPE_CODES.VALUE: {
      const ttlMs = reader.u32('ttl')
      return { type: 'VALUE', rid, ttlMs, value: value(reader, limits) }
    }
    case TYPE_CODES.ERROR:
      return { type: 'ERROR', rid, code: reader.u8('error code') }
    default:
      throw new DhtError(ErrorCode.UNKNOWN_MESSAGE_TYPE, `unknown message type 0x${type.toString(16)}`)
  }
}

const REMOTE_CODE_OF: Partial<Record<string, number>> = {
  [ErrorCode.VALUE_TOO_LARGE]: RemoteError.VALUE_TOO_LARGE,
  [ErrorCode.UNKNOWN_MESSAGE_TYPE]: RemoteError.UNKNOWN_TYPE,
  [ErrorCode.UNSUPPORTED_VERSION]: RemoteError.UNSUPPORTED_VERSION,
}

/** Parses untrusted bytes. Never throws: every failure is a typed error. */
export function decodeMessage(bytes: Uint8Array, limits: WireLimits): DecodeResult {
  const fail = (error: DhtError, rid?: number, type?: number): DecodeResult => ({
    ok: false,
    error,
    ...(rid === undefined ? {} : { rid, isRequest: type !== undefined && type < 0x80 }),
    remoteCode: REMOTE_CODE_OF[error.code] ?? RemoteError.MALFORMED,
  })
  if (!(bytes instanceof Uint8Array)) return fail(malformed('not bytes'))
  if (bytes.length > limits.maxMessageBytes) {
    return fail(new DhtError(ErrorCode.MESSAGE_TOO_LARGE, `message of ${bytes.length} bytes exceeds ${limits.maxMessageBytes}`))
  }
  if (bytes.length < HEADER_BYTES) return fail(malformed(`${bytes.length} bytes is shorter than the header`))
  const reader = new Reader(bytes)
  const type = bytes[1]!
  const rid = reader.view.getUint32(2)
  if (bytes[0] !== WIRE_VERSION) {
    return fail(new DhtError(ErrorCode.UNSUPPORTED_VERSION, `wire version ${bytes[0]} is not ${WIRE_VERSION}`), rid, type)
  }
  try {
    const message = decodeBody(type, rid, reader, limits)
    reader.end()
    return { ok: true, message }
  } catch (error) {
    if (error instanceof DhtError) return fail(error, rid, type)
    return fail(malformed(String(error)), rid, type)
  }
}
