/**
 * Valid DHT messages of every type (encoded with the core's `encodeMessage`), the lengths worth
 * hitting, and what must hold of any message the one parser accepts. Shared by the codec, the node
 * and the transport targets.
 */
import {
  compareBytes,
  DhtError,
  type DecodeResult,
  encodeMessage,
  ErrorCode,
  HEADER_BYTES,
  ID_BYTES,
  MAX_CONTACTS_PER_MESSAGE,
  type Message,
  type SignedRecord,
  type StoreMode,
  type TimedRecord,
  type WireLimits,
} from '@browser-dht/kademlia'
import type { ByteCorpus } from '../inputs/bytes.ts'
import type { Rng } from '../inputs/rng.ts'
import { invariant } from '../target.ts'

const MODES: readonly StoreMode[] = ['publish', 'replicate', 'cache']
const ERROR_CODES = new Set<string>(Object.values(ErrorCode))

/** One record of each kind, with salts and values at their bounds (not validly signed: the parser does not check). */
export function dhtRecords(rng: Rng, limits: WireLimits): SignedRecord[] {
  const value = (n: number): Uint8Array => rng.bytes(n)
  const seq = (): number => rng.int(2 ** 31) * 2 ** 21 + rng.int(2 ** 21)
  return [
    { kind: 'immutable', value: value(0) },
    { kind: 'immutable', value: value(limits.maxValueBytes) },
    { kind: 'named', publicKey: value(32), seq: seq(), tombstone: false, value: value(12), signature: value(64) },
    { kind: 'named', publicKey: value(32), seq: 0, tombstone: true, value: value(0), signature: value(64) },
    { kind: 'mutable', publicKey: value(32), salt: value(0), seq: seq(), value: value(900), signature: value(64) },
    { kind: 'mutable', publicKey: value(32), salt: value(64), seq: Number.MAX_SAFE_INTEGER, value: value(1), signature: value(64) },
  ]
}

/** One message of each shape, with contact counts, records and value sizes at their bounds. */
export function dhtMessages(rng: Rng, limits: WireLimits): Message[] {
  const rid = (): number => rng.int(2 ** 32)
  const id = (): Uint8Array => rng.bytes(ID_BYTES)
  const records = dhtRecords(rng, limits)
  const timed = (record: SignedRecord, ttlMs: number): TimedRecord => ({ record, ttlMs })
  return [
    { type: 'PING', rid: rid() },
    { type: 'PONG', rid: rid() },
    ...[0, 20].map((n): Message => ({ type: 'STORED', rid: rid(), nodes: Array.from({ length: n }, id) })),
    { type: 'ERROR', rid: rid(), code: 1 + rng.int(16) },
    ...[1, 20, MAX_CONTACTS_PER_MESSAGE].map((count): Message => ({ type: 'FIND_NODE', rid: rid(), target: id(), count })),
    { type: 'FIND_VALUE', rid: rid(), key: id(), count: 20 },
    ...records.map((record, i): Message => ({ type: 'STORE', rid: rid(), mode: MODES[i % MODES.length]!, ttlMs: 60_000 * (i + 1), key: id(), record })),
    { type: 'STORE', rid: rid(), mode: 'publish', ttlMs: 3_600_000, key: id(), record: records[4]!, cas: 7 },
    ...[0, 3, 20, MAX_CONTACTS_PER_MESSAGE].map((n): Message => ({ type: 'NODES', rid: rid(), nodes: Array.from({ length: n }, id) })),
    { type: 'VALUE', rid: rid(), nodes: [], records: [timed(records[0]!, 1)] },
    { type: 'VALUE', rid: rid(), nodes: Array.from({ length: 20 }, id), records: records.slice(2).map((r) => timed(r, 0xffffffff)) },
    { type: 'VALUE', rid: rid(), nodes: [id()], records: [timed(records[1]!, 60_000)] },
  ]
}

/** The encoded messages, and every fixed size and limit of the format. */
export function dhtCorpus(rng: Rng, limits: WireLimits): ByteCorpus {
  // Mode, ttl, key, cas flag, then an immutable record's kind and value length.
  const storeHeader = HEADER_BYTES + 1 + 4 + ID_BYTES + 1 + 1 + 4
  return {
    valid: dhtMessages(rng, limits).map(encodeMessage),
    lengths: [
      0,
      HEADER_BYTES,
      HEADER_BYTES + ID_BYTES + 1,
      storeHeader,
      storeHeader + limits.maxValueBytes,
      HEADER_BYTES + 1 + MAX_CONTACTS_PER_MESSAGE * ID_BYTES,
      HEADER_BYTES + 1 + 1 + 4 + 1 + 4 + limits.maxValueBytes,
      limits.maxMessageBytes,
    ],
  }
}

/** The byte arrays an accepted message carries. */
function arraysOf(message: Message): Uint8Array[] {
  switch (message.type) {
    case 'FIND_NODE':
      return [message.target]
    case 'FIND_VALUE':
      return [message.key]
    case 'STORE':
      return [message.key, ...recordArrays(message.record)]
    case 'VALUE':
      return [...message.nodes, ...message.records.flatMap(({ record }) => recordArrays(record))]
    case 'NODES':
      return message.nodes
    default:
      return []
  }
}

function recordArrays(record: SignedRecord): Uint8Array[] {
  return record.kind === 'immutable' ? [record.value] : record.kind === 'named' ? [record.publicKey, record.signature, record.value] : [record.publicKey, record.salt, record.signature, record.value]
}

function countOf(message: Message): number | undefined {
  return message.type === 'FIND_NODE' || message.type === 'FIND_VALUE' ? message.count : undefined
}

/**
 * What must hold of `decodeMessage(bytes, limits)`: an accepted message is within every bound,
 * encodes back to exactly `bytes` (the format has one encoding per message), and shares no memory
 * with `bytes` (the parser promises copies, so a stored value does not keep a channel's buffer
 * alive); a rejection is a DhtError with a known code, and carries the request ID whenever the
 * header was readable. Returns the outcome: `ok` or the error code.
 */
export function checkDecoded(bytes: Uint8Array, result: DecodeResult, limits: WireLimits): string {
  if (!result.ok) {
    invariant(result.error instanceof DhtError && ERROR_CODES.has(result.error.code), `rejected with ${String(result.error)}, not a DhtError with a known code`)
    invariant(Number.isInteger(result.remoteCode) && result.remoteCode >= 0 && result.remoteCode <= 255, `remote code ${result.remoteCode} is not a byte`)
    if (bytes.length >= HEADER_BYTES && bytes.length <= limits.maxMessageBytes) {
      const rid = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2)
      invariant(result.rid === rid, `a rejection with a readable header carries rid ${String(result.rid)}, not ${rid}`)
    }
    return result.error.code
  }
  const { message } = result
  invariant(bytes.length <= limits.maxMessageBytes, `accepted ${bytes.length} bytes, over maxMessageBytes`)
  invariant(compareBytes(encodeMessage(message), bytes) === 0, `${message.type} does not encode back to the bytes it was read from`)
  const count = countOf(message)
  invariant(count === undefined || (count >= 1 && count <= MAX_CONTACTS_PER_MESSAGE), `asks for ${String(count)} contacts`)
  invariant(message.type !== 'NODES' || message.nodes.length <= MAX_CONTACTS_PER_MESSAGE, 'more contacts than a message may carry')
  const records = message.type === 'STORE' ? [message.record] : message.type === 'VALUE' ? message.records.map((timed) => timed.record) : []
  for (const record of records) invariant(record.value.length <= limits.maxValueBytes, 'a value over maxValueBytes')
  invariant(message.type !== 'VALUE' || message.records.length > 0, 'a VALUE without records')
  for (const array of arraysOf(message)) {
    invariant(array.buffer !== bytes.buffer, `${message.type} keeps a view of the input's memory instead of a copy`)
  }
  for (const id of message.type === 'NODES' ? message.nodes : message.type === 'FIND_NODE' ? [message.target] : []) {
    invariant(id.length === ID_BYTES, `an ID of ${id.length} bytes`)
  }
  return 'ok'
}
