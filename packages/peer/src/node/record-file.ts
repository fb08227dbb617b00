/**
 * The on-disk format of one held record, and its one parser. A records directory holds whatever
 * a crash, an older version, a disk error or a person with a text editor left there, so nothing
 * read from it is trusted: `parseStoredFile` checks the name, the size, every field and a
 * checksum, and answers a typed record or a typed error. It never throws.
 *
 * One file per record, named `<40 lowercase hex of the key>.rec`, binary, big-endian:
 *
 * | offset    | bytes | field                                                    |
 * |-----------|-------|----------------------------------------------------------|
 * | 0         | 4     | magic `DHTR`                                             |
 * | 4         | 1     | format version, 1                                        |
 * | 5         | 20    | key (must equal the key in the file name)                |
 * | 25        | 8     | expiresAt: float64, wall-clock ms, finite and ≥ 0        |
 * | 33        | 4     | value length n: uint32, at most `maxValueBytes`          |
 * | 37        | n     | value                                                    |
 * | 37 + n    | 4     | CRC-32 (zlib) of bytes 0 .. 37 + n                       |
 *
 * Binary rather than JSON: no encoding overhead on 64 KiB values, and the exact length is known
 * from the header, so a truncated or extended file is caught before the checksum. The CRC-32
 * catches bit rot and torn writes that kept the length; it is not a defence against someone who
 * can write the directory (who could as well replace the node).
 */
import { crc32 } from 'node:zlib'
import { DEFAULTS, ID_BYTES, type Id, maxStoredSetBytes, type StoredRecord, toHex } from '@browser-dht/kademlia'

/** Extension of a record file. */
export const RECORD_FILE_SUFFIX = '.rec'
/** A record file's name: the key as 40 lowercase hex digits, then `.rec`. */
export const RECORD_FILE_NAME = /^[0-9a-f]{40}\.rec$/

const MAGIC = [0x44, 0x48, 0x54, 0x52] // "DHTR"
const VERSION = 1
const KEY_AT = 5
const EXPIRES_AT = KEY_AT + ID_BYTES
const LENGTH_AT = EXPIRES_AT + 8
const HEADER_BYTES = LENGTH_AT + 4
const CHECKSUM_BYTES = 4

/** Bytes a record file has beyond its value: header and checksum (41). */
export const RECORD_FILE_OVERHEAD_BYTES = HEADER_BYTES + CHECKSUM_BYTES

export interface RecordFileLimits {
  /**
   * Largest value accepted, read or written: a key's stored set of signed records. Default: the
   * core's `maxStoredSetBytes` for its default value size and publishers per key.
   */
  readonly maxValueBytes: number
}

/** The limits that fit a node's value size and publishers per key (the core's tunables). */
export function recordFileLimits(maxValueBytes: number = DEFAULTS.maxValueBytes, maxPublishersPerKey: number = DEFAULTS.maxPublishersPerKey): RecordFileLimits {
  return { maxValueBytes: maxStoredSetBytes(maxValueBytes, maxPublishersPerKey) }
}

export const DEFAULT_RECORD_FILE_LIMITS: RecordFileLimits = recordFileLimits()

/** The largest record file accepted under `limits`; larger files are not even read. */
export const maxRecordFileBytes = (limits: RecordFileLimits): number => RECORD_FILE_OVERHEAD_BYTES + limits.maxValueBytes

/** Why a file was not accepted as a record. */
export const RecordFileErrorCode = {
  /** The name is not `<40 hex>.rec` (the store does not even read such files). */
  FOREIGN_NAME: 'ERR_FOREIGN_NAME',
  /** Larger than `maxRecordFileBytes`. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** Shorter than its header, or than the length its header announces. */
  TRUNCATED: 'ERR_TRUNCATED',
  /** Longer than the length its header announces. */
  TRAILING_BYTES: 'ERR_TRAILING_BYTES',
  /** Not a record file: wrong magic. */
  BAD_MAGIC: 'ERR_BAD_MAGIC',
  /** A format version this code does not read. */
  BAD_VERSION: 'ERR_BAD_VERSION',
  /** The header announces a value larger than `maxValueBytes`. */
  VALUE_TOO_LARGE: 'ERR_VALUE_TOO_LARGE',
  /** expiresAt is not a finite number ≥ 0. */
  BAD_EXPIRY: 'ERR_BAD_EXPIRY',
  /** The key inside differs from the key in the name. */
  KEY_MISMATCH: 'ERR_KEY_MISMATCH',
  /** The checksum does not match the contents. */
  BAD_CHECKSUM: 'ERR_BAD_CHECKSUM',
  /** The file could not be read (a directory, no permission, vanished); set by the store. */
  UNREADABLE: 'ERR_UNREADABLE',
} as const

export type RecordFileErrorCode = (typeof RecordFileErrorCode)[keyof typeof RecordFileErrorCode]

export interface RecordFileError {
  readonly code: RecordFileErrorCode
  readonly message: string
}

export type ParsedRecordFile = { readonly ok: true; readonly record: StoredRecord } | { readonly ok: false; readonly error: RecordFileError }

/** Thrown by `encodeStoredFile` for a record the store could not read back. */
export class RecordFileWriteError extends Error {
  override readonly name = 'RecordFileWriteError'
}

/** The file name of the record with this key. */
export const recordFileName = (key: Id): string => toHex(key) + RECORD_FILE_SUFFIX

const fail = (code: RecordFileErrorCode, message: string): ParsedRecordFile => ({ ok: false, error: { code, message } })

/**
 * The record in a file, or why there is none. `name` is the file's base name, `bytes` its whole
 * contents. Never throws; the record's key and value are fresh copies.
 */
export function parseStoredFile(name: string, bytes: Uint8Array, limits: RecordFileLimits = DEFAULT_RECORD_FILE_LIMITS): ParsedRecordFile {
  if (!RECORD_FILE_NAME.test(name)) return fail(RecordFileErrorCode.FOREIGN_NAME, `${JSON.stringify(name)} is not <40 hex>${RECORD_FILE_SUFFIX}`)
  if (bytes.length > maxRecordFileBytes(limits)) return fail(RecordFileErrorCode.TOO_LARGE, `${bytes.length} bytes exceeds ${maxRecordFileBytes(limits)}`)
  if (MAGIC.some((byte, i) => i < bytes.length && bytes[i] !== byte)) return fail(RecordFileErrorCode.BAD_MAGIC, 'not a record file')
  if (bytes.length < HEADER_BYTES) return fail(RecordFileErrorCode.TRUNCATED, `${bytes.length} bytes is shorter than the header`)
  if (bytes[4] !== VERSION) return fail(RecordFileErrorCode.BAD_VERSION, `format version ${bytes[4]} is not ${VERSION}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = view.getUint32(LENGTH_AT)
  if (length > limits.maxValueBytes) return fail(RecordFileErrorCode.VALUE_TOO_LARGE, `value of ${length} bytes exceeds ${limits.maxValueBytes}`)
  const total = RECORD_FILE_OVERHEAD_BYTES + length
  if (bytes.length < total) return fail(RecordFileErrorCode.TRUNCATED, `${bytes.length} bytes, the header announces ${total}`)
  if (bytes.length > total) return fail(RecordFileErrorCode.TRAILING_BYTES, `${bytes.length} bytes, the header announces ${total}`)
  const expiresAt = view.getFloat64(EXPIRES_AT)
  if (!Number.isFinite(expiresAt) || expiresAt < 0) return fail(RecordFileErrorCode.BAD_EXPIRY, `expiresAt ${expiresAt} is not a time`)
  const key = bytes.slice(KEY_AT, KEY_AT + ID_BYTES)
  if (recordFileName(key) !== name) return fail(RecordFileErrorCode.KEY_MISMATCH, `holds key ${toHex(key)}`)
  if (view.getUint32(HEADER_BYTES + length) !== crc32(bytes.subarray(0, HEADER_BYTES + length))) {
    return fail(RecordFileErrorCode.BAD_CHECKSUM, 'the checksum does not match')
  }
  return { ok: true, record: { key, value: bytes.slice(HEADER_BYTES, HEADER_BYTES + length), expiresAt } }
}

/** The file contents of a record; throws `RecordFileWriteError` for one `parseStoredFile` would refuse. */
export function encodeStoredFile(record: StoredRecord, limits: RecordFileLimits = DEFAULT_RECORD_FILE_LIMITS): Uint8Array {
  const { key, value, expiresAt } = record
  if (!(key instanceof Uint8Array) || key.length !== ID_BYTES) throw new RecordFileWriteError(`key must be ${ID_BYTES} bytes`)
  if (!(value instanceof Uint8Array) || value.length > limits.maxValueBytes) {
    throw new RecordFileWriteError(`value must be at most ${limits.maxValueBytes} bytes`)
  }
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt < 0) throw new RecordFileWriteError('expiresAt must be a finite number ≥ 0')
  const bytes = new Uint8Array(RECORD_FILE_OVERHEAD_BYTES + value.length)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  bytes[4] = VERSION
  bytes.set(key, KEY_AT)
  view.setFloat64(EXPIRES_AT, expiresAt)
  view.setUint32(LENGTH_AT, value.length)
  bytes.set(value, HEADER_BYTES)
  view.setUint32(HEADER_BYTES + value.length, crc32(bytes.subarray(0, HEADER_BYTES + value.length)))
  return bytes
}
