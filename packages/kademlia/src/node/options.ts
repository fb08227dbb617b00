/**
 * Every tunable of a node, with its default and what it may be, in one place. Each bound the
 * node enforces is named here once. Times are in milliseconds of the handed clock.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { checkOptions, defaultsOf, kindsOf, option, type OptionKind, type OptionTable, withDefaults } from '../platform/check-options.ts'
import type { Clock, Random } from '../platform/platform.ts'
import type { RecordStore } from '../records/record-store.ts'
import type { Transport } from '../transport/transport.ts'
import { HEADER_BYTES, type WireLimits } from '../wire/codec.ts'
import { type Id, ID_BYTES } from '../keyspace/id.ts'
import { MAX_CONTACTS_PER_MESSAGE } from '../wire/messages.ts'
import { MAX_ID_PUZZLE_BITS } from '../keyspace/puzzle.ts'
import type { Signer, Verify } from '../keyspace/ed25519.ts'
import { RECORD_OVERHEAD_BYTES } from '../wire/record-codec.ts'

const { integer, nonNegative, positiveInteger } = option

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/**
 * Each tunable: its default, and what it may be (platform/check-options.ts); rules between
 * tunables are in `resolveTunables`.
 */
const TUNABLES = {
  /** Contacts per bucket, nodes a record is stored on, and nodes a lookup converges to. */
  k: [20, integer(1, MAX_CONTACTS_PER_MESSAGE)],
  /** Requests a lookup keeps in flight at once. */
  alpha: [3, positiveInteger],
  /** Replacement candidates remembered per full bucket. */
  replacementCacheSize: [8, nonNegative],
  /** Failed requests in a row after which a contact with no replacement waiting is dropped. */
  staleLimit: [5, nonNegative],
  /**
   * The longest a request waits for its answer, and the wait for a contact not heard from yet. A
   * contact that has answered gets its own, shorter wait: its smoothed round trip plus four times
   * its variation, as TCP's (rpc/round-trips.ts), doubled after each timeout.
   */
  requestTimeoutMs: [2 * SECOND, nonNegative],
  /** The shortest wait for an answer, and the least margin above a contact's smoothed round trip. */
  minRequestTimeoutMs: [500, nonNegative],
  /**
   * A lookup waits on its first request to a node for the contact's smoothed round trip plus four
   * times its variation (for a contact not heard from, the same over each contact's first answer),
   * and at least this; then the request turns slow: a get no longer waits on it for its quorum,
   * and it gives its slot back so the path asks another node meanwhile (at most ⌈alpha / d⌉
   * slots given back per path at once). It is not failed: a late answer still counts, and a path
   * does not converge while it is pending among its k closest. Pure lookups only, not
   * `storeAround`'s STOREs.
   */
  minSlowRequestMs: [50, nonNegative],
  /** Contacts whose round trips are remembered for their waits (least recently answered forgotten first). */
  maxRoundTripContacts: [1024, positiveInteger],
  /**
   * A contact whose last request failed is not asked by lookups for this long (unless it is heard
   * from first): the next lookup does not wait on a peer that just crashed again, even when
   * other peers still name it. Lookups ask it anyway when fewer than `alpha` other contacts are
   * known. 0: always asked.
   */
  failedContactRestMs: [30 * SECOND, nonNegative],
  /** Requests this node may have waiting for answers at once; more fail with ERR_TOO_MANY_REQUESTS. */
  maxInflightRequests: [512, nonNegative],
  /** Incoming requests being served at once (storage reads and writes); more are answered BUSY. */
  maxConcurrentInbound: [64, nonNegative],
  /**
   * A full bucket pings its oldest contact (ping-before-evict) only if that contact has been
   * silent this long; a bucket whose oldest contact spoke recently keeps it, and the newcomer
   * waits in the replacement cache.
   */
  evictionPingAfterMs: [30 * SECOND, nonNegative],
  /** Liveness pings of old contacts (ping-before-evict) in flight at once. */
  maxEvictionPings: [8, nonNegative],
  /** Candidates a lookup remembers per path; farther ones it has not asked yet are forgotten. */
  maxLookupCandidates: [160, nonNegative],
  /**
   * Disjoint paths of the lookups of `get`, `put` and `findNode` (S/Kademlia; overridable per
   * call with `{ paths }`): the seeds are dealt over d paths and no node is asked by two, so one
   * region of attackers can capture a path but not the others. Each path keeps ⌈alpha / d⌉
   * requests in flight. Bucket refresh and replication look up over 1 path. 1 to 64; a lookup
   * runs at most as many paths as it has seeds (≤ k). 8, from bench:sybil at 10,000 nodes (README):
   * with 20 % of the nodes attacking, gets succeed 86 % of the time over 1 path, 99.4 % over 4
   * and 100 % over 8 (99.6 % at 30 %), for about 1.5 times a single path's messages per lookup
   * (36 instead of 24.5 when nobody attacks).
   */
  disjointPaths: [8, integer(1, MAX_CONTACTS_PER_MESSAGE)],
  /**
   * Candidates one peer's answers may place in a lookup path's window of the k closest (the
   * candidates it named first, unless another peer named them too). Default ⌈k / 2⌉ (10 for
   * k = 20): a liar answering with k made-up IDs closer than any real node fills at most half the
   * window, so the path keeps asking real nodes beside them, while an honest neighbour of the
   * target, which names nodes its own neighbours name as well, is barely held back. At least 1;
   * k or more turns the bound off.
   */
  maxIntroducedPerPeer: [10, positiveInteger],
  /** Largest value `put` accepts and a STORE may carry (BEP 44 mutable items: 1,000 bytes bencoded). */
  maxValueBytes: [64 * 1024, nonNegative],
  /**
   * Named values one key holds at most, one per publisher. A new publisher's value under a full
   * key is refused (ERR_KEY_FULL): nobody can evict another publisher's value.
   */
  maxPublishersPerKey: [8, integer(1, 64)],
  /** Records one sender's STOREs may hold on this node at once (ERR_SENDER_QUOTA beyond). */
  maxRecordsPerSender: [1000, positiveInteger],
  /**
   * Signature checks one sender's STOREs may cost a second, after a burst of twice as many
   * (ERR_RATE_LIMITED beyond): a check is the one expensive step of taking a record (58–79 µs
   * with WebCrypto, about 1 ms in pure JavaScript), so a peer sending forged records spends at
   * most 2 % of a core with WebCrypto, while an honest holder handing on hundreds of records
   * (replication, hand-off) is barely slowed. The same record again costs no check.
   */
  recordChecksPerSecond: [256, positiveInteger],
  /**
   * A STORE from another node is taken only where the record belongs (routing-table.ts,
   * `withinRadius`): this node knows fewer than k nodes closer to the key, or the key is at most
   * 2^storeSlack times as far from it as its k-th closest contact, which covers contacts that
   * left but are still in its table and lookups that ran on another view of the network. A key
   * farther away is refused with ERR_NOT_CLOSE, so nobody fills a node with keys it is not close
   * to. In bits: 2 accepts keys within 4 times the radius.
   */
  storeSlack: [2, nonNegative],
  /**
   * A get goes on until this many holders have answered with records (or the lookup ends), so
   * one stale or forged holder cannot decide what a reader sees; then it keeps the newest valid
   * record of each publisher and stores it back on the holders that lacked it.
   */
  getQuorum: [2, positiveInteger],
  /** Records this node holds for others at most; also the most it publishes and republishes. */
  maxRecords: [10_000, nonNegative],
  /** Value bytes this node holds for others at most. */
  maxStoredBytes: [64 * 1024 * 1024, nonNegative],
  /** Lifetime of a published record unless `put` says otherwise. */
  recordTtlMs: [24 * HOUR, nonNegative],
  /** Longest TTL a STORE may ask for. */
  maxTtlMs: [48 * HOUR, nonNegative],
  /** How often the original publisher stores its records again with a fresh TTL. */
  republishIntervalMs: [12 * HOUR, nonNegative],
  /** How often a holder hands its records on to the current k closest. */
  replicateIntervalMs: [1 * HOUR, nonNegative],
  /** A bucket with no lookup into its range for this long is refreshed. */
  refreshIntervalMs: [1 * HOUR, nonNegative],
  /** How often expired records are deleted. */
  expireIntervalMs: [1 * MINUTE, nonNegative],
  /** Records handed on at once during replication. */
  replicateConcurrency: [4, nonNegative],
  /**
   * When a contact leaves the routing table (a request to it failed, or `forget`), the held
   * records it was among the k closest for are handed to the node that took its place among them
   * (node/churn.ts; below `churnHandOnMinK`, stored again on the k closest a lookup finds), instead
   * of at the next replication pass: (rank + 1) times this long afterwards (±50 % at random), where
   * rank counts the contacts this node knows closer to the key. So the closest holder that noticed
   * goes first, and a holder that a lookup's STORE reached before its turn skips the lookup
   * (in a 200-node overlay under churn, without ranks every holder replicated: 125 records per
   * departure). The wait also batches departures noticed together and gives the routing table
   * time to promote replacements. 0 turns churn replication off.
   */
  churnReplicateDelayMs: [2 * SECOND, nonNegative],
  /**
   * The least k at which a departure is handed on with one STORE to the node that entered a
   * record's k closest (node/churn.ts). Below it, each holder that noticed stores the record on
   * the k closest it looks up, as hourly replication does: such a lookup costs about k + 1
   * requests, little when k is small, and finds the k closest even where a holder's table is off,
   * while a hand-on that misses leaves the record one copy short until the hourly pass, which
   * with few copies is a large part of them (with k = 3 a value was lost that way in a browser test).
   */
  churnHandOnMinK: [8, positiveInteger],
  /**
   * The network's ID puzzle (S/Kademlia's static puzzle): a peer's ID must have this many leading
   * zero bits in its SHA-1 to be accepted. Checked once, where an ID is first accepted: a message
   * from a peer not in the routing table (rejected with ERR_WEAK_ID, neither served nor added), a
   * contact named in a lookup answer (dropped), a bootstrap contact (skipped). 0 checks nothing.
   * Default: the transport's `idPuzzleBits`, else 0 (as on the MemoryNetwork, whose simulations
   * draw IDs at random). At most MAX_ID_PUZZLE_BITS.
   */
  idPuzzleBits: [0, integer(0, MAX_ID_PUZZLE_BITS)],
} as const satisfies OptionTable

export const DEFAULTS: { readonly [K in keyof typeof TUNABLES]: number } = defaultsOf(TUNABLES)

/** Bytes of the largest message that carries no value: a full NODES answer. */
const LARGEST_NODES_MESSAGE = HEADER_BYTES + 1 + MAX_CONTACTS_PER_MESSAGE * ID_BYTES

/** Parser limits for a node with default options. */
export const DEFAULT_WIRE_LIMITS: WireLimits = wireLimits(DEFAULTS.maxValueBytes)

/** The parser limits that go with a value size limit: the largest record beside a full NODES, plus headers. */
export function wireLimits(maxValueBytes: number): WireLimits {
  return { maxValueBytes, maxMessageBytes: maxValueBytes + RECORD_OVERHEAD_BYTES + LARGEST_NODES_MESSAGE + 64 }
}

export type Tunables = { -readonly [K in keyof typeof DEFAULTS]: number }

export interface NodeOptions extends Partial<Tunables> {
  /** This node's 160-bit ID. */
  id: Id
  transport: Transport
  clock: Clock
  random: Random
  /** Where records held for others live. Default: a MemoryRecordStore. */
  store?: RecordStore
  /**
   * Signs this node's records (named values, mutable items) with its identity key. Default: the
   * transport's `signer` (the WebRTC transport's identity). Without one the node holds and serves
   * records but cannot publish signed ones (ERR_INVALID_OPTION).
   */
  signer?: Signer
  /** Checks record signatures. Default: the transport's `verify` (WebCrypto in a tab), else `verifySignature` (@noble/curves, loaded on first use). */
  verify?: Verify
}

/** What each tunable may be (platform/check-options.ts). */
export const TUNABLE_KINDS: { readonly [K in keyof Tunables]: OptionKind } = kindsOf(TUNABLES)

/** An ERR_INVALID_OPTION with `message`. */
export function invalidOption(message: string): DhtError {
  return new DhtError(ErrorCode.INVALID_OPTION, message)
}

/** Fills in defaults and rejects values outside their range with ERR_INVALID_OPTION. */
export function resolveTunables(options: Partial<Tunables>): Tunables {
  // Defaults that follow k: ⌈k / 2⌉ unless set.
  const resolved = withDefaults<Tunables>({ ...DEFAULTS, maxIntroducedPerPeer: Math.ceil((options.k ?? DEFAULTS.k) / 2) }, options)
  checkOptions(resolved, TUNABLE_KINDS, invalidOption)
  if (resolved.maxLookupCandidates < resolved.k) throw invalidOption('maxLookupCandidates must be at least k')
  return resolved
}
