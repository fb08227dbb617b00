/**
 * What keeps the table and the records healthy over time: bucket refresh, replication by holders,
 * republish by the original publisher, expiry, handing records to a node that joins close to
 * them, and handing records on soon after a node close to them leaves (churn.ts). Every interval is
 * an option, so tests run an hour of maintenance in a virtual second.
 */
import { compareDistance, type Id, idEquals, randomIdInBucket } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock, Random } from '../platform/platform.ts'
import type { LookupResult } from '../query/lookup.ts'
import type { RecordMeta } from '../records/records.ts'
import { sameRecord, type SignedRecord } from '../records/signed-record.ts'
import type { Outgoing } from '../rpc/rpc.ts'
import type { Response } from '../wire/messages.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import { type ChurnFallback, ChurnReplication, forEachLimit } from './churn.ts'
import type { KademliaNode } from './node.ts'
import type { LookupExtras } from './node-types.ts'
import { Periodic } from './timers.ts'
import type { CallOptions } from './values.ts'

/** What maintenance needs of the node beyond its public API. */
export interface MaintenanceHooks {
  /** A node lookup, over the paths in `options`, with `extras`. */
  lookup(target: Id, options: CallOptions & { paths: number }, extras: LookupExtras): Promise<LookupResult>
  request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response>
  /** Whether an ID named in an answer could be a node (the ID puzzle). */
  accept(id: Id): boolean
}

export class Maintenance {
  readonly #node: KademliaNode
  readonly #random: Random
  readonly #timers: Periodic[]
  #lastReplicate: number
  readonly #hooks: MaintenanceHooks
  readonly #churn: ChurnReplication

  constructor(node: KademliaNode, clock: Clock, random: Random, hooks: MaintenanceHooks) {
    this.#node = node
    this.#hooks = hooks
    this.#random = random
    this.#lastReplicate = clock.now()
    this.#churn = new ChurnReplication(node, clock, random, { ...hooks, replicate: (meta) => this.#replicateOne(meta) })
    const o = node.options
    this.#timers = [
      new Periodic(clock, random, o.refreshIntervalMs, () => node.refreshBuckets(o.refreshIntervalMs)),
      new Periodic(clock, random, o.replicateIntervalMs, () => this.replicate()),
      new Periodic(clock, random, o.republishIntervalMs, () => this.republish()),
      new Periodic(clock, random, o.expireIntervalMs, () => node.records.expire(node.now())),
    ]
  }

  start(): void {
    this.#churn.start()
    for (const timer of this.#timers) timer.start()
  }

  stop(): void {
    this.#churn.stop()
    for (const timer of this.#timers) timer.stop()
  }

  /**
   * A lookup of a random ID in each bucket below our closest neighbour's not looked into for
   * `olderThanMs` (0: all); with `untilFull`, each ends once its bucket holds k contacts
   * (`node.refreshBuckets`, `node.fillBuckets`).
   */
  async refresh(olderThanMs: number, untilFull: boolean, options: CallOptions): Promise<void> {
    const { table, id } = this.#node
    const { k } = this.#node.options
    const now = this.#node.now()
    const lookups: Promise<unknown>[] = []
    for (let index = 0; index < table.nearestBucket(); index++) {
      if (olderThanMs > 0 && now - table.lastLookup(index) < olderThanMs) continue
      // One path is enough to fill a bucket (a refresh learns from every answer).
      const target = randomIdInBucket(id, index, this.#random)
      const full = (): boolean => untilFull && table.bucketSize(index) >= k
      lookups.push(this.#hooks.lookup(target, { ...options, paths: 1 }, { enough: full }).catch(() => undefined))
    }
    await Promise.all(lookups)
  }

  /** `node.storeAround`: a lookup whose requests are replica STOREs, over one path. */
  async storeAround(key: Id, record: SignedRecord, expiresAt: number): Promise<Id[]> {
    // Each STORE carries the TTL left when it is sent: replication never extends a record's life.
    const store = (peer: Id, signal: AbortSignalLike | undefined): Promise<Response> =>
      this.#hooks.request(peer, { type: 'STORE', key, record, ttlMs: Math.max(0, expiresAt - this.#node.now()), mode: 'replicate' }, signal)
    const { closest } = await this.#hooks.lookup(key, { paths: 1 }, { ask: store })
    return closest
  }

  /** Records churn passes have handed on to the current k closest (one per record per pass). */
  get churnReplications(): number {
    return this.#churn.replications
  }

  /** Of those, the ones that fell back to `storeAround`. */
  get churnLookups(): number {
    return this.#churn.lookups
  }

  /** Why they fell back, by cause. */
  get churnFallbacks(): Readonly<Record<ChurnFallback, number>> {
    return this.#churn.fallbacks
  }

  /** `peer` left the routing table: churn.ts hands on the records it was among the k closest for. */
  departed(peer: Id, replacement: Id | undefined): void {
    this.#churn.departed(peer, replacement)
  }

  /**
   * One replication pass: every record this node holds is stored again on the current k closest
   * nodes, with its remaining TTL (replication never extends a record's life). A record that
   * another holder replicated to us since our last pass is skipped: that holder did the work.
   */
  async replicate(): Promise<void> {
    const node = this.#node
    const since = this.#lastReplicate
    this.#lastReplicate = node.now()
    const due = node.records.metas(node.now()).filter((meta) => meta.replicatedAt <= since)
    await forEachLimit(due, node.options.replicateConcurrency, (meta) => this.#replicateOne(meta))
  }

  async #replicateOne(meta: RecordMeta): Promise<void> {
    const node = this.#node
    if ((node.records.meta(meta.key)?.expiresAt ?? 0) <= node.now()) return
    // Each record goes as it came, with its proof: replication never re-signs or extends one. The
    // first is stored by a lookup whose requests are its STOREs; any other record under the key
    // (another publisher's) then goes to the nodes that lookup found.
    const [first] = node.records.read(meta.key, node.now())
    if (first === undefined) return
    const closest = await node.storeAround(meta.key, first.record, node.now() + first.ttlMs)
    // Read again, so that the remaining TTL sent does not include the lookup's time.
    for (const { record, ttlMs } of node.records.read(meta.key, node.now())) {
      if (!sameRecord(record, first.record)) await node.storeAt(closest, meta.key, record, ttlMs, 'replicate')
    }
  }

  /** The original publisher stores each of its records again, unchanged, with a fresh TTL. */
  async republish(): Promise<void> {
    const node = this.#node
    await forEachLimit(node.published(), node.options.replicateConcurrency, (published) => node.republish(published).catch(() => undefined))
  }

  /**
   * A node we had not known joined: hand it the records it is now among the k closest for. Only
   * the closest holder we know of sends, so the newcomer gets one copy, not k.
   */
  handOff(peer: Id): void {
    const node = this.#node
    const { k } = node.options
    const notPeer = (contact: Contact): boolean => idEquals(contact.id, peer)
    for (const meta of node.records.metas(node.now())) {
      // Cheap test first: is any other contact closer to the key than we are? (One bucket scan.)
      const [nearestOther] = node.table.closest(meta.key, 1, notPeer)
      if (nearestOther !== undefined && compareDistance(meta.key, nearestOther, node.id) < 0) continue
      if (!node.table.closest(meta.key, k).some((id) => idEquals(id, peer))) continue
      for (const { record, ttlMs } of node.records.read(meta.key, node.now())) void node.storeAt([peer], meta.key, record, ttlMs, 'replicate')
    }
  }
}
