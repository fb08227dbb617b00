/**
 * The byte form of a signed record (records/signed-record.ts), the same in STORE and VALUE
 * messages and in a node's own storage (records/record-set.ts), read by the one `readRecord`:
 *
 *   kind (1): 1 named, 2 mutable, 3 immutable
 *   named:     public key (32) · seq (8) · flags (1): bit 0 tombstone · signature (64) · value length (4) · value
 *   mutable:   public key (32) · seq (8) · salt length (1, ≤ 64) · salt · signature (64) · value length (4) · value
 *   immutable: value length (4) · value
 *
 * Parsing proves only the shape: whether the record is its publisher's is `checkRecord`'s job.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../keyspace/ed25519.ts'
import { MAX_SALT_BYTES } from '../records/bep44.ts'
import type { SignedRecord } from '../records/signed-record.ts'
import { malformed, Reader, Writer } from './bytes.ts'

const KIND_CODES = { named: 1, mutable: 2, immutable: 3 } as const satisfies Record<SignedRecord['kind'], number>

/** Bytes `writeRecord` takes for `record`. */
export function recordBytes(record: SignedRecord): number {
  const value = 4 + record.value.length
  switch (record.kind) {
    case 'named':
      return 1 + PUBLIC_KEY_BYTES + 8 + 1 + SIGNATURE_BYTES + value
    case 'mutable':
      return 1 + PUBLIC_KEY_BYTES + 8 + 1 + record.salt.length + SIGNATURE_BYTES + value
    case 'immutable':
      return 1 + value
  }
}

/** Most bytes the framing of one record adds to its value (a mutable one with the longest salt). */
export const RECORD_OVERHEAD_BYTES = 1 + PUBLIC_KEY_BYTES + 8 + 1 + MAX_SALT_BYTES + SIGNATURE_BYTES + 4

export function writeRecord(writer: Writer, record: SignedRecord): void {
  writer.u8(KIND_CODES[record.kind])
  if (record.kind !== 'immutable') {
    writer.raw(record.publicKey)
    writer.u53(record.seq)
    if (record.kind === 'named') writer.u8(record.tombstone ? 1 : 0)
    else {
      writer.u8(record.salt.length)
      writer.raw(record.salt)
    }
    writer.raw(record.signature)
  }
  writer.u32(record.value.length)
  writer.raw(record.value)
}

/** Reads one record; throws a typed error (the caller's parser catches it). */
export function readRecord(reader: Reader, maxValueBytes: number): SignedRecord {
  const kind = reader.u8('record kind')
  const value = (): Uint8Array => {
    const length = reader.u32('value length')
    if (length > maxValueBytes) throw new DhtError(ErrorCode.VALUE_TOO_LARGE, `value of ${length} bytes exceeds ${maxValueBytes}`)
    return reader.copy(length, 'value')
  }
  switch (kind) {
    case KIND_CODES.immutable:
      return { kind: 'immutable', value: value() }
    case KIND_CODES.named: {
      const publicKey = reader.copy(PUBLIC_KEY_BYTES, 'public key')
      const seq = reader.u53('seq')
      const flags = reader.u8('flags')
      if (flags > 1) throw malformed('unknown record flags')
      const signature = reader.copy(SIGNATURE_BYTES, 'signature')
      return { kind: 'named', publicKey, seq, tombstone: flags === 1, signature, value: value() }
    }
    case KIND_CODES.mutable: {
      const publicKey = reader.copy(PUBLIC_KEY_BYTES, 'public key')
      const seq = reader.u53('seq')
      const saltLength = reader.u8('salt length')
      if (saltLength > MAX_SALT_BYTES) throw new DhtError(ErrorCode.SALT_TOO_BIG, `salt of ${saltLength} bytes exceeds ${MAX_SALT_BYTES}`)
      const salt = reader.copy(saltLength, 'salt')
      const signature = reader.copy(SIGNATURE_BYTES, 'signature')
      return { kind: 'mutable', publicKey, seq, salt, signature, value: value() }
    }
    default:
      throw malformed(`unknown record kind ${kind}`)
  }
}

/** A held record as a node keeps it in its own storage: with its expiry on this node's clock. */
export interface StoredEntry {
  record: SignedRecord
  expiresAt: number
}

/**
 * Most bytes one stored set can take: every slot of a key filled with a record of the largest
 * value (the bound a RecordStore may put on what it reads back).
 */
export function maxStoredSetBytes(maxValueBytes: number, maxPublishersPerKey: number): number {
  return 2 + (maxPublishersPerKey + 2) * (8 + RECORD_OVERHEAD_BYTES + maxValueBytes)
}

/** Storage format version, so a node notices records written by another version. */
const STORED_SET_VERSION = 1

/** The records a node holds under one key, as one stored value: version (1) · count (1) · (expiresAt f64 · record)*. */
export function encodeStoredSet(entries: readonly StoredEntry[]): Uint8Array {
  const out = new Uint8Array(2 + entries.reduce((sum, { record }) => sum + 8 + recordBytes(record), 0))
  const w = new Writer(out)
  w.u8(STORED_SET_VERSION)
  w.u8(entries.length)
  for (const { record, expiresAt } of entries) {
    w.f64(expiresAt)
    writeRecord(w, record)
  }
  return out
}

/**
 * Parses a stored set read back from storage, which is as untrusted as the network (another
 * version, a truncated write, a hand edit): undefined when it is not well formed. The records
 * still need `checkRecord` before they are served.
 */
export function decodeStoredSet(bytes: Uint8Array, maxValueBytes: number): StoredEntry[] | undefined {
  try {
    const reader = new Reader(bytes)
    if (reader.u8('version') !== STORED_SET_VERSION) return undefined
    const count = reader.u8('count')
    const entries: StoredEntry[] = []
    for (let i = 0; i < count; i++) {
      const expiresAt = reader.f64('expiry')
      entries.push({ expiresAt, record: readRecord(reader, maxValueBytes) })
    }
    reader.end()
    return entries
  } catch {
    return undefined
  }
}
