/**
 * Records that prove themselves. Every record a node stores, serves or hands on carries its proof,
 * so any node can check it without trusting whoever passed it along:
 *
 * - **named**: a value under a name's key (SHA-1 of the name), signed by its publisher's ed25519
 *   key over NAMED_DOMAIN ‖ key ‖ seq ‖ flags ‖ value. A key holds one named record per publisher
 *   (the publisher's ID is the SHA-1 of its key, as a node's is). Only the publisher can replace
 *   its record (higher seq) or remove it (a signed tombstone: flag 1, empty value).
 * - **mutable**: BEP 44's mutable item (bep44.ts): under SHA-1(key ‖ salt), signed over BEP 44's
 *   buffer. One per key.
 * - **immutable**: BEP 44's immutable item: under SHA-1 of the value's bencoding. One per key.
 *
 * `checkRecord` runs the checks cheapest first: sizes, the key binding (a hash), the publisher's
 * ID puzzle (a hash), and only then the signature. Nothing here signs with a key of its own: the
 * node's identity is handed in as a `Signer`.
 */
import { sha1 } from '../keyspace/sha1.ts'
import { ErrorCode } from '../errors.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Signer, type Verify } from '../keyspace/ed25519.ts'
import { compareBytes, concatBytes, type Id, ID_BYTES, idEquals, toHex, utf8 } from '../keyspace/id.ts'
import { meetsIdPuzzle } from '../keyspace/puzzle.ts'
import { assertSalt, assertSeq, bencodedLength, immutableKey, MAX_BENCODED_VALUE_BYTES, MAX_SALT_BYTES, mutableKey, signableBuffer } from './bep44.ts'

export interface NamedRecord {
  readonly kind: 'named'
  readonly publicKey: Uint8Array
  readonly seq: number
  /** A removal: the publisher's value is gone (the value is empty). */
  readonly tombstone: boolean
  readonly value: Uint8Array
  readonly signature: Uint8Array
}

export interface MutableRecord {
  readonly kind: 'mutable'
  readonly publicKey: Uint8Array
  /** Empty when the item has no salt. */
  readonly salt: Uint8Array
  readonly seq: number
  readonly value: Uint8Array
  readonly signature: Uint8Array
}

export interface ImmutableRecord {
  readonly kind: 'immutable'
  readonly value: Uint8Array
}

export type SignedRecord = NamedRecord | MutableRecord | ImmutableRecord
export type RecordKind = SignedRecord['kind']

/** Prefixed to what a named record's signature covers, so it means nothing in another protocol. */
export const NAMED_DOMAIN = 'browser-dht/named/v1\n'
const NAMED_DOMAIN_BYTES = utf8(NAMED_DOMAIN)
const TOMBSTONE_FLAG = 1

/** What a named record's signature covers: domain ‖ key ‖ seq (u64) ‖ flags ‖ value. */
export function namedSignable(key: Id, seq: number, tombstone: boolean, value: Uint8Array): Uint8Array {
  assertSeq(seq)
  const fixed = new Uint8Array(ID_BYTES + 8 + 1)
  fixed.set(key)
  const view = new DataView(fixed.buffer)
  view.setUint32(ID_BYTES, Math.floor(seq / 0x1_0000_0000))
  view.setUint32(ID_BYTES + 4, seq % 0x1_0000_0000)
  fixed[ID_BYTES + 8] = tombstone ? TOMBSTONE_FLAG : 0
  return concatBytes(NAMED_DOMAIN_BYTES, fixed, value)
}

/** A named record for `key`, signed by `signer` (a tombstone when `value` is undefined). */
export async function signNamed(signer: Signer, key: Id, seq: number, value: Uint8Array | undefined): Promise<NamedRecord> {
  const tombstone = value === undefined
  const bytes = value ?? new Uint8Array(0)
  const signature = await signer.sign(namedSignable(key, seq, tombstone, bytes))
  return { kind: 'named', publicKey: signer.publicKey, seq, tombstone, value: bytes, signature }
}

/** A BEP 44 mutable item signed by `signer`; its key is `mutableKey(signer.publicKey, salt)`. */
export async function signMutable(signer: Signer, fields: { salt?: Uint8Array | undefined; seq: number; value: Uint8Array }): Promise<MutableRecord> {
  const salt = fields.salt ?? new Uint8Array(0)
  assertSalt(salt)
  const signature = await signer.sign(signableBuffer({ salt, seq: fields.seq, value: fields.value }))
  return { kind: 'mutable', publicKey: signer.publicKey, salt, seq: fields.seq, value: fields.value, signature }
}

/** Where a record sits within its key: one slot per named publisher, one mutable, one immutable. */
export function slotOf(record: SignedRecord): string {
  return record.kind === 'immutable' ? 'i' : `${record.kind === 'named' ? 'n' : 'm'}:${toHex(record.publicKey)}`
}

/** The publisher's ID (SHA-1 of its key); undefined for an immutable record. */
export function publisherOf(record: SignedRecord): Id | undefined {
  return record.kind === 'immutable' ? undefined : sha1(record.publicKey)
}

/** The record's seq (0 for an immutable one, which never changes). */
export function seqOf(record: SignedRecord): number {
  return record.kind === 'immutable' ? 0 : record.seq
}

/**
 * True when both are the very same record, byte for byte (slot, seq, flags, value, signature):
 * one already checked needs no second signature check.
 */
export function sameRecord(a: SignedRecord, b: SignedRecord): boolean {
  if (a.kind !== b.kind || slotOf(a) !== slotOf(b) || seqOf(a) !== seqOf(b) || compareBytes(a.value, b.value) !== 0) return false
  if (a.kind === 'immutable' || b.kind === 'immutable') return true
  if (compareBytes(a.signature, b.signature) !== 0) return false
  return a.kind !== 'named' || b.kind !== 'named' || a.tombstone === b.tombstone
}

/** Bytes a record's value takes against `maxValueBytes` and the storage budget. */
export function recordSize(record: SignedRecord): number {
  return record.value.length + (record.kind === 'immutable' ? 0 : PUBLIC_KEY_BYTES + SIGNATURE_BYTES) + (record.kind === 'mutable' ? record.salt.length : 0)
}

export interface CheckOptions {
  verify: Verify
  maxValueBytes: number
  /** The network's ID puzzle, asked of a named record's publisher ID (0: none). */
  puzzleBits: number
}

export type RecordCheck = { ok: true } | { ok: false; code: ErrorCode }

/**
 * The checks that cost no signature: sizes, the key binding, the publisher's puzzle. A record
 * that fails them is refused before anything else is spent on it.
 */
export function precheckRecord(key: Id, record: SignedRecord, options: Omit<CheckOptions, 'verify'>): RecordCheck {
  const fail = (code: ErrorCode): RecordCheck => ({ ok: false, code })
  if (record.value.length > options.maxValueBytes) return fail(ErrorCode.VALUE_TOO_LARGE)
  switch (record.kind) {
    case 'immutable':
      return idEquals(immutableKey(record.value), key) ? { ok: true } : fail(ErrorCode.KEY_MISMATCH)
    case 'mutable':
      if (record.salt.length > MAX_SALT_BYTES) return fail(ErrorCode.SALT_TOO_BIG)
      if (bencodedLength(record.value.length) > MAX_BENCODED_VALUE_BYTES) return fail(ErrorCode.VALUE_TOO_LARGE)
      return idEquals(mutableKey(record.publicKey, record.salt), key) ? { ok: true } : fail(ErrorCode.KEY_MISMATCH)
    case 'named':
      if (record.tombstone && record.value.length > 0) return fail(ErrorCode.BAD_SIGNATURE)
      return meetsIdPuzzle(sha1(record.publicKey), options.puzzleBits) ? { ok: true } : fail(ErrorCode.WEAK_ID)
  }
}

/** Every check of a record under `key`, cheapest first; the signature last. Never rejects. */
export async function checkRecord(key: Id, record: SignedRecord, options: CheckOptions): Promise<RecordCheck> {
  const pre = precheckRecord(key, record, options)
  if (!pre.ok) return pre
  if (record.kind === 'immutable') return pre
  const message = record.kind === 'named' ? namedSignable(key, record.seq, record.tombstone, record.value) : signableBuffer(record)
  try {
    return (await options.verify(record.signature, message, record.publicKey)) ? pre : { ok: false, code: ErrorCode.BAD_SIGNATURE }
  } catch {
    return { ok: false, code: ErrorCode.BAD_SIGNATURE }
  }
}

/** An immutable record (its key is `immutableKey(value)`). */
export function immutableRecord(value: Uint8Array): ImmutableRecord {
  return { kind: 'immutable', value }
}
