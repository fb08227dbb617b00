/** The node's public types that are not options (options.ts) or record calls (values.ts). */
import type { DhtError } from '../errors.ts'
import type { Id } from '../keyspace/id.ts'
import type { LookupTrace } from '../query/trace.ts'
import type { AbortSignalLike } from '../platform/platform.ts'
import type { Response, StoreMode } from '../wire/messages.ts'
import type { ChurnFallback } from './churn.ts'
import type { LookupCallOptions } from './values.ts'

export interface NodeEvents {
  /** A contact entered the routing table. */
  'peer:added': { id: Id }
  /** A contact left the routing table (failed, or replaced). */
  'peer:removed': { id: Id }
  /** This node now holds a record because `from` stored it here. */
  'record:stored': { key: Id; mode: StoreMode; from: Id }
  /** Input from a peer was rejected (malformed, unexpected, unknown type); the node carries on. */
  'input:rejected': { from: Id; error: DhtError }
}

export interface BootstrapOptions extends LookupCallOptions {
  /**
   * After the self-lookup, fill the buckets farther than the closest neighbour that it did not
   * cover (`fillBuckets`; default true). With false the far buckets fill from traffic and the
   * refresh timer, which makes a join cheaper still (used to build 100,000-node simulations).
   */
  refreshBuckets?: boolean
}

export interface FindNodeResult {
  /** The k closest live nodes to the target, closest first (this node not included). */
  closest: Id[]
  trace: LookupTrace
}

export interface NodeStats {
  peers: number
  records: number
  storedBytes: number
  published: number
  inflightRequests: number
  requestsSent: number
  /** Of `requestsSent`, by type. */
  requestsSentByType: Record<'PING' | 'FIND_NODE' | 'FIND_VALUE' | 'STORE', number>
  /** Of `requestsSent`, those that failed: timed out, or reported undeliverable by the transport. */
  requestsFailed: number
  /** Requests this node's lookups stopped waiting on before they settled (slow; `minSlowRequestMs`), of the lookups that ended with a result. */
  slowRequests: number
  requestsServed: number
  /**
   * Held records this node stored again on the current k closest because a contact among their
   * k closest left its routing table (one per record per churn pass; see `churnReplicateDelayMs`).
   */
  churnReplications: number
  /**
   * Of those, the ones handed on by a lookup that stores on the true k closest (`storeAround`)
   * rather than by one STORE to the node that entered the k closest: its STORE failed or its
   * answer named a closer node this table lacks (churn.ts).
   */
  churnLookups: number
  /**
   * Of `churnLookups` where k ≥ `churnHandOnMinK`, by cause: `marks` (more departures marked the
   * record than a mark remembers), `failed` (a STORE to an entrant failed), `closer` (an entrant
   * named a closer node this table lacks).
   */
  churnFallbacks: Readonly<Record<ChurnFallback, number>>
  /** Rejected input by error code. */
  rejected: Record<string, number>
  /** STOREs this node refused, by error code (ERR_SEQ_TOO_LOW, ERR_BAD_SIGNATURE, ERR_NOT_CLOSE, …). */
  refusedStores: Record<string, number>
}

/** What a lookup may do beyond asking FIND_NODE or FIND_VALUE (the node's own uses, not its API). */
export interface LookupExtras {
  /** Checks an answer before the lookup counts it (a get's records). */
  check?: ((peer: Id, response: Response) => Promise<Response>) | undefined
  /** Ends the lookup once this holds (a bucket fill: the bucket is full). */
  enough?: () => boolean
  /** Sends this request instead of FIND_NODE (replication: the STORE itself). */
  ask?: (peer: Id, signal: AbortSignalLike | undefined) => Promise<Response>
}
