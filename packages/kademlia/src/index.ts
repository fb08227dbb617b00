/**
 * @browser-dht/kademlia: the Kademlia DHT core. Pure TypeScript; the clock, randomness,
 * transport and storage are handed in, so the same code runs in a tab, in Node and in the
 * simulator. See README.md for the API and its defaults.
 */
export { DhtError, ErrorCode, isDhtError } from './errors.ts'
export {
  assertId,
  commonPrefixLength,
  compareBytes,
  concatBytes,
  compareDistance,
  distance,
  fromHex,
  ID_BITS,
  ID_BYTES,
  type Id,
  idEquals,
  idFromHex,
  idKey,
  keyOf,
  randomIdInBucket,
  shortHex,
  toHex,
} from './keyspace/id.ts'
export { type Ed25519Verifier, isUsablePublicKey, lazyVerify, montgomeryPublicKey, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Signer, type Verify, verifyWith } from './keyspace/ed25519.ts'
export {
  immutableKey,
  MAX_BENCODED_VALUE_BYTES,
  MAX_SALT_BYTES,
  type MutableFields,
  type MutableItem,
  mutableKey,
  signableBuffer,
} from './records/bep44.ts'
export { DEFAULT_ID_PUZZLE_BITS, MAX_ID_PUZZLE_BITS, meetsIdPuzzle, PUZZLE_CHECKS_REMEMBERED, PuzzleChecks, puzzleBitsOf } from './keyspace/puzzle.ts'
export type { AbortSignalLike, Clock, Random, TimerHandle } from './platform/platform.ts'
export { cryptoRandom, systemClock } from './platform/runtime.ts'
export { seededRandom } from './platform/seeded-random.ts'
export { VirtualClock } from './platform/virtual-clock.ts'
export { BoundedMap } from './platform/bounded-map.ts'
export { backoffMs, type BackoffOptions } from './platform/backoff.ts'
export { TokenBucket, type TokenBucketOptions } from './platform/token-bucket.ts'
export { checkOptions, defaultsOf, describeOption, isOptionValue, kindsOf, option, type OptionKind, type OptionTable, withDefaults } from './platform/check-options.ts'
export type { Contact } from './routing-table/k-bucket.ts'
export { type BucketView, RoutingTable, type RoutingTableOptions } from './routing-table/routing-table.ts'
export { decodeMessage, type DecodeResult, encodeMessage, HEADER_BYTES, type WireLimits } from './wire/codec.ts'
export {
  isRequest,
  MAX_CONTACTS_PER_MESSAGE,
  type Message,
  RemoteError,
  type Request,
  type Response,
  type StoreMode,
  type TimedRecord,
  WIRE_VERSION,
} from './wire/messages.ts'
export {
  checkRecord,
  type CheckOptions,
  immutableRecord,
  type ImmutableRecord,
  type MutableRecord,
  NAMED_DOMAIN,
  namedSignable,
  type NamedRecord,
  publisherOf,
  type RecordCheck,
  type RecordKind,
  seqOf,
  type SignedRecord,
  signMutable,
  signNamed,
  slotOf,
} from './records/signed-record.ts'
export { decodeStoredSet, encodeStoredSet, maxStoredSetBytes, type StoredEntry } from './wire/record-codec.ts'
export { type Finding, lookup, type LookupOptions, type LookupResult } from './query/lookup.ts'
export type { LookupTrace, TraceStep } from './query/trace.ts'
export { MemoryRecordStore, type RecordStore, type StoredRecord } from './records/record-store.ts'
export type { RecordMeta, StoreRequest } from './records/records.ts'
export { deliverBytes, type DecodeFailure, type Transport, type TransportHandler } from './transport/transport.ts'
export { MemoryNetwork, type MemoryNetworkOptions, type NetworkStats } from './transport/memory-network.ts'
export {
  type CallOptions,
  type FindNodeResult,
  type GetOptions,
  type GetResult,
  type ImmutableGetResult,
  KademliaNode,
  type LookupCallOptions,
  type MutableGetResult,
  type MutablePutOptions,
  type NamedValue,
  type NodeEvents,
  type NodeStats,
  type Published,
  type PutOptions,
  type PutResult,
} from './node/node.ts'
export { Emitter } from './node/emitter.ts'
export { DEFAULT_WIRE_LIMITS, DEFAULTS, type NodeOptions, resolveTunables, type Tunables, wireLimits } from './node/options.ts'

import { KademliaNode } from './node/node.ts'
import type { NodeOptions } from './node/options.ts'

/** Creates a node; call `start()` and then `bootstrap([...])`. */
export function createNode(options: NodeOptions): KademliaNode {
  return new KademliaNode(options)
}
