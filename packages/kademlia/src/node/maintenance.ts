/**
 * What keeps the table and the records healthy over time: bucket refresh, replication by holders,
 * republish by the original publisher, expiry, handing records to a node that joins close to
 * them, and replicating records again soon after a node close to them leaves. Every interval is
 * an option, so tests run an hour of maintenance in a virtual second.
 */
import { compareDistance, ID_BITS, type Id, idEquals, idKey, randomIdInBucket } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock, Random, TimerHandle } from '../platform/platform.ts'
import type { LookupResult } from '../query/lookup.ts'
import type { RecordMeta } from '../records/records.ts'
import { sameRecord, type SignedRecord } from '../records/signed-record.ts'
import type { Outgoing } from '../rpc/rpc.ts'
import type { Response } from '../wire/messages.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { RoutingTable } from '../routing-table/routing-table.ts'
import type { KademliaNode } from './node.ts'
import type { LookupExtras } from './node-types.ts'
import { Periodic } from './timers.ts'
import type { CallOptions } from './values.ts'

/** What maintenance needs of the node beyond its public API. */
export interface MaintenanceHooks {
  /** A node lookup, over the paths in `options`, with `extras`. */
  lookup(target: Id, options: CallOptions & { paths: number }, extras: LookupExtras): Promise<LookupResult>
  request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response>
}

/** A held record to replicate because a contact among its k closest left. */
interface ChurnMark {
  readonly key: Id
  /** Clock time of the latest departure that marked it. */
  markedAt: number
  /**
   * When it is due: the holders closest to the key go first, each rank one delay later, so the
   * STOREs of the first holder reach the others before their turn and they skip the record.
   */
  dueAt: number
  /** Marked while a churn pass was replicating this very record (most likely by that pass's own timeouts). */
  readonly followUp: boolean
}

export class Maintenance {
  readonly #node: KademliaNode
  readonly #clock: Clock
  readonly #random: Random
  readonly #timers: Periodic[]
  #lastReplicate: number
  #running = false
  /** Records waiting for the next churn pass, by key; never more than `maxRecords`. */
  #churnPending = new Map<string, ChurnMark>()
  /** The marks the churn pass under way works through. */
  #churnBatch: Map<string, ChurnMark> | undefined
  #churnTimer: TimerHandle | undefined
  #churnReplications = 0
  readonly #hooks: MaintenanceHooks

  constructor(node: KademliaNode, clock: Clock, random: Random, hooks: MaintenanceHooks) {
    this.#node = node
    this.#hooks = hooks
    this.#clock = clock
    this.#random = random
    this.#lastReplicate = clock.now()
    const o = node.options
    this.#timers = [
      new Periodic(clock, random, o.refreshIntervalMs, () => node.refreshBuckets(o.refreshIntervalMs)),
      new Periodic(clock, random, o.replicateIntervalMs, () => this.replicate()),
      new Periodic(clock, random, o.republishIntervalMs, () => this.republish()),
      new Periodic(clock, random, o.expireIntervalMs, () => node.records.expire(node.now())),
    ]
  }

  start(): void {
    this.#running = true
    for (const timer of this.#timers) timer.start()
  }

  stop(): void {
    this.#running = false
    for (const timer of this.#timers) timer.stop()
    if (this.#churnTimer !== undefined) this.#clock.clearTimeout(this.#churnTimer)
    this.#churnTimer = undefined
    this.#churnPending.clear()
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

  /** Records churn passes have stored again on the current k closest (one per record per pass). */
  get churnReplications(): number {
    return this.#churnReplications
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

  /**
   * `peer` left the routing table (`replacement`, if any, took its place). Marks every held record
   * for which `peer` was among the k closest as the table stood just before (this node counted as
   * one of them); one pass `churnReplicateDelayMs` later stores the marked records on the current
   * k closest, as replication does. Departures noticed meanwhile join that pass.
   */
  departed(peer: Id, replacement: Id | undefined): void {
    const node = this.#node
    if (!this.#running || node.options.churnReplicateDelayMs <= 0 || node.records.count === 0) return
    const now = node.now()
    const { k, churnReplicateDelayMs } = node.options
    const wasAmongClosest = departureTest(node.table, peer, replacement, k)
    let marked = false
    for (const meta of node.records.metas(now)) {
      if (!wasAmongClosest(meta.key)) continue
      // This node's rank among the holders: how many contacts it knows are closer to the key.
      const rank = node.table.closest(meta.key, k).filter((id) => compareDistance(meta.key, id, node.id) < 0).length
      const dueAt = now + churnReplicateDelayMs * (rank + 0.5 + this.#random.float())
      if (this.#mark(meta.key, now, dueAt)) marked = true
    }
    if (marked) this.#armChurnPass()
  }

  #mark(key: Id, now: number, dueAt: number): boolean {
    const hex = idKey(key)
    const inPass = this.#churnBatch?.get(hex)
    // A departure while a follow-up pass replicates this record: leave it to periodic replication,
    // so that a pass's own timeouts can trigger one more pass for a record, never a chain of them.
    if (inPass?.followUp === true) return false
    const pending = this.#churnPending.get(hex)
    if (pending !== undefined) {
      pending.markedAt = now
      pending.dueAt = Math.min(pending.dueAt, dueAt)
      return true
    }
    if (this.#churnPending.size >= this.#node.options.maxRecords) return false
    this.#churnPending.set(hex, { key, markedAt: now, dueAt, followUp: inPass !== undefined })
    return true
  }

  #armChurnPass(): void {
    if (!this.#running || this.#churnTimer !== undefined || this.#churnBatch !== undefined || this.#churnPending.size === 0) return
    let due = Number.POSITIVE_INFINITY
    for (const mark of this.#churnPending.values()) due = Math.min(due, mark.dueAt)
    this.#churnTimer = this.#clock.setTimeout(() => {
      this.#churnTimer = undefined
      void this.#churnPass()
    }, Math.max(0, due - this.#node.now()))
  }

  async #churnPass(): Promise<void> {
    const node = this.#node
    // Marks that are due (within a second of the earliest, so near ranks share one pass).
    const until = node.now() + 1000
    const batch = new Map<string, ChurnMark>()
    for (const [hex, mark] of this.#churnPending) {
      if (mark.dueAt > until) continue
      batch.set(hex, mark)
      this.#churnPending.delete(hex)
    }
    this.#churnBatch = batch
    try {
      await forEachLimit([...batch.values()], node.options.replicateConcurrency, async (mark) => {
        const meta = node.records.meta(mark.key)
        if (!this.#running || meta === undefined || meta.expiresAt <= node.now()) return
        // Another holder noticed the same departure first and replicated the record here: done.
        if (meta.replicatedAt > mark.markedAt) return
        this.#churnReplications++
        await this.#replicateOne(meta)
      })
    } finally {
      this.#churnBatch = undefined
      this.#armChurnPass()
    }
  }
}

/**
 * For the table just after `gone` left, a test of whether `gone` was among the `k` closest to a
 * key before (this node counted as one of them; `replacement`, promoted into `gone`'s bucket, not
 * counted). The bucket layout settles most keys without a distance comparison; the rest take one
 * `closest` query.
 */
export function departureTest(table: RoutingTable, gone: Id, replacement: Id | undefined, k: number): (key: Id) => boolean {
  const goneBucket = table.bucketIndex(gone)
  const sizes = new Array<number>(ID_BITS).fill(0)
  let fartherIn = 0
  for (const { index, contacts } of table.buckets()) {
    sizes[index] = contacts.length
    if (index > goneBucket) fartherIn += contacts.length
  }
  const notReplacement = replacement === undefined ? undefined : (contact: Contact): boolean => idEquals(contact.id, replacement)
  return (key) => {
    const keyBucket = table.bucketIndex(key)
    // Only the others in gone's bucket, at most k - 1, can be closer to such a key than gone.
    if (keyBucket === goneBucket) return true
    // This node and every contact in a bucket past gone's are closer to such a key than gone.
    if (keyBucket > goneBucket && 1 + fartherIn >= k) return false
    // Every contact in the key's own bucket is closer to it than gone.
    if (keyBucket < goneBucket && sizes[keyBucket]! >= k) return false
    let closer = compareDistance(key, table.self, gone) < 0 ? 1 : 0
    for (const id of table.closest(key, k, notReplacement)) {
      if (compareDistance(key, id, gone) >= 0) break
      closer++
    }
    return closer < k
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!
      await task(item).catch(() => undefined)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}
