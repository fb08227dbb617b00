/**
 * BitTorrent's BEP 44 items, as functions anyone can run offline to check a record:
 *
 * - an **immutable** item lives under the SHA-1 of its value's bencoding (`immutableKey`);
 * - a **mutable** item lives under SHA-1(public key ‖ salt) (`mutableKey`) and carries an ed25519
 *   signature, by that key, over the bencoded `salt`, `seq` and `v` without the enclosing
 *   dictionary (`signableBuffer`), checked by `verifyMutable` (`@browser-dht/kademlia/noble`).
 *
 * Values here are byte strings (bencoded as `<length>:<bytes>`), so what this DHT stores under a
 * BEP 44 key is what a BitTorrent node would compute for a byte-string `v`; BEP 44's published
 * test vectors pass in bep44.test.ts. The bounds are BEP 44's: salt ≤ 64 bytes, bencoded value
 * ≤ 1000 bytes.
 */
import { sha1 } from '../keyspace/sha1.ts'
import { DhtError, ErrorCode } from '../errors.ts'
import { PUBLIC_KEY_BYTES } from '../keyspace/ed25519.ts'
import { concatBytes, type Id, utf8 } from '../keyspace/id.ts'

/** Longest salt BEP 44 allows. */
export const MAX_SALT_BYTES = 64
/** Most bytes BEP 44 allows a value's bencoding (`v`) to take. */
export const MAX_BENCODED_VALUE_BYTES = 1000

/** The bencoding of a byte string: `<length>:<bytes>`. */
export function bencodeBytes(value: Uint8Array): Uint8Array {
  return concatBytes(utf8(`${value.length}:`), value)
}

/** Bytes the bencoding of a `length`-byte string takes. */
export function bencodedLength(length: number): number {
  return String(length).length + 1 + length
}

/** The key of an immutable item: SHA-1 of the value's bencoding. */
export function immutableKey(value: Uint8Array): Id {
  return sha1(bencodeBytes(value))
}

/** The key of a mutable item: SHA-1 of the publisher's ed25519 public key followed by the salt. */
export function mutableKey(publicKey: Uint8Array, salt: Uint8Array = new Uint8Array(0)): Id {
  assertBytes(publicKey, PUBLIC_KEY_BYTES, 'public key')
  assertSalt(salt)
  return sha1(publicKey, salt)
}

export interface MutableFields {
  /** Omitted or empty: no salt (BEP 44 leaves `salt` out of the signed buffer then). */
  salt?: Uint8Array | undefined
  /** A non-negative safe integer (BEP 44: int64; larger ones cannot be told apart in JavaScript). */
  seq: number
  value: Uint8Array
}

/**
 * What a mutable item's signature covers: `4:salt<salt>` (only with a salt), `3:seqi<seq>e`,
 * `1:v<bencoded value>`, the dictionary's entries in key order without its `d…e`.
 */
export function signableBuffer({ salt, seq, value }: MutableFields): Uint8Array {
  assertSeq(seq)
  const parts: Uint8Array[] = []
  if (salt !== undefined && salt.length > 0) {
    assertSalt(salt)
    parts.push(utf8('4:salt'), bencodeBytes(salt))
  }
  parts.push(utf8(`3:seqi${seq}e1:v`), bencodeBytes(value))
  return concatBytes(...parts)
}

export interface MutableItem extends MutableFields {
  publicKey: Uint8Array
  signature: Uint8Array
}

export function assertSalt(salt: Uint8Array): void {
  if (!(salt instanceof Uint8Array)) throw new DhtError(ErrorCode.INVALID_OPTION, 'a salt is a Uint8Array')
  if (salt.length > MAX_SALT_BYTES) throw new DhtError(ErrorCode.SALT_TOO_BIG, `salt of ${salt.length} bytes exceeds BEP 44's ${MAX_SALT_BYTES}`)
}

export function assertSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new DhtError(ErrorCode.INVALID_OPTION, 'seq is a non-negative safe integer')
}

function assertBytes(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new DhtError(ErrorCode.INVALID_OPTION, `a ${what} is ${length} bytes`)
}
