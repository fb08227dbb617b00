/**
 * The binary wire format (see WIRE.md). `encodeMessage` writes a typed message;
 * `decodeMessage` is the one function that reads bytes from outside: it turns any bytes into a
 * typed message or a typed error and never throws.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, ID_BYTES } from '../keyspace/id.ts'
import { malformed, Reader, Writer } from './bytes.ts'
import {
  MAX_CONTACTS_PER_MESSAGE,
  type Message,
  REMOTE_CODE_OF,
  RemoteError,
  type StoreMode,
  type TimedRecord,
  WIRE_VERSION,
} from './messages.ts'
import { readRecord, recordBytes, writeRecord } from './record-codec.ts'

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
  const out = new Uint8Array(HEADER_BYTES + bodyBytes(message))
  const w = new Writer(out)
  w.u8(WIRE_VERSION)
  w.u8(TYPE_CODES[message.type])
  w.u32(message.rid)
  switch (message.type) {
    case 'PING':
    case 'PONG':
      break
    case 'FIND_NODE':
      w.raw(message.target)
      w.u8(message.count)
      break
    case 'FIND_VALUE':
      w.raw(message.key)
      w.u8(message.count)
      break
    case 'STORE':
      w.u8(STORE_MODES.indexOf(message.mode))
      w.u32(message.ttlMs)
      w.raw(message.key)
      w.u8(message.cas === undefined ? 0 : 1)
      if (message.cas !== undefined) w.u53(message.cas)
      writeRecord(w, message.record)
      break
    case 'NODES':
    case 'STORED':
      writeNodes(w, message.nodes)
      break
    case 'VALUE':
      writeNodes(w, message.nodes)
      w.u8(message.records.length)
      for (const { record, ttlMs } of message.records) {
        w.u32(ttlMs)
        writeRecord(w, record)
      }
      break
    case 'ERROR':
      w.u8(message.code)
      break
  }
  return out
}

function writeNodes(w: Writer, nodes: readonly Id[]): void {
  w.u8(nodes.length)
  for (const id of nodes) w.raw(id)
}

function bodyBytes(message: Message): number {
  switch (message.type) {
    case 'PING':
    case 'PONG':
      return 0
    case 'FIND_NODE':
    case 'FIND_VALUE':
      return ID_BYTES + 1
    case 'STORE':
      return 1 + 4 + ID_BYTES + 1 + (message.cas === undefined ? 0 : 8) + recordBytes(message.record)
    case 'NODES':
    case 'STORED':
      return 1 + message.nodes.length * ID_BYTES
    case 'VALUE':
      return 1 + message.nodes.length * ID_BYTES + 1 + message.records.reduce((sum, { record }) => sum + 4 + recordBytes(record), 0)
    case 'ERROR':
      return 1
  }
}

function contactCount(reader: Reader): number {
  const count = reader.u8('contact count')
  if (count < 1 || count > MAX_CONTACTS_PER_MESSAGE) throw malformed(`asks for ${count} contacts, not 1..${MAX_CONTACTS_PER_MESSAGE}`)
  return count
}

function readNodes(reader: Reader): Id[] {
  const count = reader.u8('contact count')
  if (count > MAX_CONTACTS_PER_MESSAGE) throw malformed(`${count} contacts exceed ${MAX_CONTACTS_PER_MESSAGE}`)
  const nodes = []
  for (let i = 0; i < count; i++) nodes.push(reader.copy(ID_BYTES, 'contact id'))
  return nodes
}

function decodeBody(type: number, rid: number, reader: Reader, limits: WireLimits): Message {
  switch (type) {
    case TYPE_CODES.PING:
      return { type: 'PING', rid }
    case TYPE_CODES.PONG:
      return { type: 'PONG', rid }
    case TYPE_CODES.STORED:
      return { type: 'STORED', rid, nodes: readNodes(reader) }
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
      const hasCas = reader.u8('cas flag')
      if (hasCas > 1) throw malformed('unknown cas flag')
      const cas = hasCas === 1 ? reader.u53('cas') : undefined
      return { type: 'STORE', rid, mode, ttlMs, key, ...(cas === undefined ? {} : { cas }), record: readRecord(reader, limits.maxValueBytes) }
    }
    case TYPE_CODES.NODES:
      return { type: 'NODES', rid, nodes: readNodes(reader) }
    case TYPE_CODES.VALUE: {
      const nodes = readNodes(reader)
      const count = reader.u8('record count')
      if (count === 0) throw malformed('a VALUE without records')
      const records: TimedRecord[] = []
      for (let i = 0; i < count; i++) {
        const ttlMs = reader.u32('ttl')
        records.push({ ttlMs, record: readRecord(reader, limits.maxValueBytes) })
      }
      return { type: 'VALUE', rid, nodes, records }
    }
    case TYPE_CODES.ERROR:
      return { type: 'ERROR', rid, code: reader.u8('error code') }
    default:
      throw new DhtError(ErrorCode.UNKNOWN_MESSAGE_TYPE, `unknown message type 0x${type.toString(16)}`)
  }
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
  const reader = new Reader(bytes, HEADER_BYTES)
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
