/**
 * Churn replication: when a contact among the k closest to a held record leaves the routing
 * table, the record is handed to the node that took the contact's place among the k closest.
 *
 * A departure changes a record's k closest by one node: the one that was (k + 1)-th is now k-th
 * (the "entrant"). The other k − 1 already hold the record, so one STORE restores it, where a
 * lookup that stores on all k closest (`storeAround`) takes about k requests. Only the
 * `CHURN_SENDERS` holders closest to the key send, each by its own table; the others leave it to
 * them. A holder's table is complete around its own ID, and the keys it holds are near it, so its
 * view of a record's k closest is the true one nearly always. Where it is not, the entrant's
 * answer shows it: a replica STORE is answered with the entrant's k closest to the key, and one
 * closer than the entrant that our table lacks (not a node that just left, and one that solves
 * the ID puzzle) means our view missed a node. That, or a STORE that failed, falls back to
 * `storeAround`, which finds the true k closest. A refusal does not: the entrant holds something
 * newer or has no room, which no lookup changes.
 *
 * Where k is below `churnHandOnMinK`, there is no hand-on: every holder that noticed the departure
 * marks the record, the closest first, and stores it on the k closest it looks up, unless another
 * holder's lookup stored it here meanwhile (the lookup is cheap with a small k, and each copy is a
 * large part of k).
 *
 * Departures noticed within a short time share one pass: `churnReplicateDelayMs` after the first
 * (±50 %, one delay later for each holder closer to the key).
 */
import { compareDistance, ID_BITS, type Id, idEquals, idKey } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock, Random, TimerHandle } from '../platform/platform.ts'
import { ErrorCode, isDhtError } from '../errors.ts'
import type { RecordMeta } from '../records/records.ts'
import { sameRecord } from '../records/signed-record.ts'
import type { Outgoing } from '../rpc/rpc.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { RoutingTable } from '../routing-table/routing-table.ts'
import type { Response } from '../wire/messages.ts'
import type { KademliaNode } from './node.ts'

/**
 * Holders that hand a record on after a departure: those with fewer than this many contacts
 * closer to its key. More than one, so that a departure the closest holder did not notice (the
 * departed node was not in its table) still reaches the entrant.
 */
export const CHURN_SENDERS = 3
/** Entrants (and departed nodes) remembered per marked record; more before its pass fall back to `storeAround`. */
const MAX_ENTRANTS_PER_MARK = 8
/** Marks due within this long of the earliest go in the same pass. */
const PASS_WINDOW_MS = 1000

export interface ChurnHooks {
  request(peer: Id, request: Outgoing, signal?: AbortSignalLike): Promise<Response>
  /** Whether an ID named in an answer could be a live node (the ID puzzle, not resting after failures); others are not evidence. */
  accept(id: Id): boolean
  /** Stores the record under `meta.key` on its true k closest, by a lookup (`storeAround`). */
  replicate(meta: RecordMeta): Promise<void>
}

/**
 * Why a churn pass fell back to `storeAround`: more departures marked the record than a mark
 * remembers (`marks`), a STORE to an entrant failed (`failed`), or an entrant's answer named a
 * node closer than itself that this node's table lacks (`closer`).
 */
export type ChurnFallback = 'marks' | 'failed' | 'closer'

/** A held record to hand on because a contact among its k closest left. */
interface ChurnMark {
  readonly key: Id
  /** Clock time of the latest departure that marked it. */
  markedAt: number
  /** When it is due: the closest holder first, the second one delay later. */
  dueAt: number
  /** Marked while a churn pass was handing on this very record (most likely by that pass's own timeouts). */
  readonly followUp: boolean
  /** The nodes that entered the record's k closest, by key; undefined: too many, replicate in full. */
  entrants: Map<string, Id> | undefined
  /** The nodes whose departure marked it: an entrant that still names one is not telling us of a node we lack. */
  readonly departed: Map<string, Id>
}

export class ChurnReplication {
  readonly #node: KademliaNode
  readonly #clock: Clock
  readonly #random: Random
  readonly #hooks: ChurnHooks
  #running = false
  /** Records waiting for the next pass, by key; never more than `maxRecords`. */
  #pending = new Map<string, ChurnMark>()
  /** The marks the pass under way works through. */
  #batch: Map<string, ChurnMark> | undefined
  #timer: TimerHandle | undefined
  /** When the armed timer fires. */
  #timerDueAt = Number.POSITIVE_INFINITY
  #replications = 0
  #lookups = 0
  /** Why passes fell back to `storeAround`, by cause. */
  readonly #fallbacks: Record<ChurnFallback, number> = { marks: 0, failed: 0, closer: 0 }

  constructor(node: KademliaNode, clock: Clock, random: Random, hooks: ChurnHooks) {
    this.#node = node
    this.#clock = clock
    this.#random = random
    this.#hooks = hooks
  }

  start(): void {
    this.#running = true
  }

  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerDueAt = Number.POSITIVE_INFINITY
    this.#pending.clear()
  }

  /** Records passes have handed on (one per record per pass). */
  get replications(): number {
    return this.#replications
  }

  /** Of those, the ones that fell back to a lookup that stores on the true k closest. */
  get lookups(): number {
    return this.#lookups
  }

  /** What made passes fall back to `storeAround` (see `ChurnFallback`); a record may count once per pass. */
  get fallbacks(): Readonly<Record<ChurnFallback, number>> {
    return { ...this.#fallbacks }
  }

  /**
   * `peer` left the routing table (`replacement`, if any, took its place). Marks every held record
   * for which `peer` was among the k closest as the table stood just before (this node counted as
   * one of them), with the node that entered them, if this node is one of the record's
   * `CHURN_SENDERS` closest holders; below `churnHandOnMinK`, for a lookup, whatever its rank.
   */
  departed(peer: Id, replacement: Id | undefined): void {
    const node = this.#node
    if (!this.#running || node.options.churnReplicateDelayMs <= 0 || node.records.count === 0) return
    const now = node.now()
    const { k, churnReplicateDelayMs } = node.options
    const wasAmongClosest = departureTest(node.table, peer, replacement, k)
    const handOn = k >= node.options.churnHandOnMinK
    let marked = false
    for (const meta of node.records.metas(now)) {
      if (!wasAmongClosest(meta.key)) continue
      const closest = node.table.closest(meta.key, k)
      // This node's rank among the holders: how many contacts it knows are closer to the key.
      const rank = closest.filter((id) => compareDistance(meta.key, id, node.id) < 0).length
      if (handOn && rank >= CHURN_SENDERS) continue
      // undefined: no hand-on, a lookup.
      const entrants = handOn ? entrantsAfter(meta.key, node.id, closest, peer, replacement, k) : undefined
      if (entrants?.length === 0) continue
      const dueAt = now + churnReplicateDelayMs * (rank + 0.5 + this.#random.float())
      if (this.#mark(meta.key, now, dueAt, entrants, peer)) marked = true
    }
    if (marked) this.#arm()
  }

  #mark(key: Id, now: number, dueAt: number, entrants: readonly Id[] | undefined, departed: Id): boolean {
    const hex = idKey(key)
    const inPass = this.#batch?.get(hex)
    // A departure while a follow-up pass hands on this record: leave it to periodic replication,
    // so that a pass's own timeouts can trigger one more pass for a record, never a chain of them.
    if (inPass?.followUp === true) return false
    let mark = this.#pending.get(hex)
    if (mark !== undefined) {
      mark.markedAt = now
      mark.dueAt = Math.min(mark.dueAt, dueAt)
    } else {
      if (this.#pending.size >= this.#node.options.maxRecords) return false
      mark = { key, markedAt: now, dueAt, followUp: inPass !== undefined, entrants: new Map(), departed: new Map() }
      this.#pending.set(hex, mark)
    }
    for (const id of entrants ?? []) mark.entrants?.set(idKey(id), id)
    mark.departed.set(idKey(departed), departed)
    if (entrants === undefined || (mark.entrants?.size ?? 0) > MAX_ENTRANTS_PER_MARK || mark.departed.size > MAX_ENTRANTS_PER_MARK) {
      mark.entrants = undefined
      mark.departed.clear()
    }
    return true
  }

  /** Arms the timer for the earliest pending mark; a mark due before the armed time re-arms it. */
  #arm(): void {
    if (!this.#running || this.#batch !== undefined || this.#pending.size === 0) return
    let due = Number.POSITIVE_INFINITY
    for (const mark of this.#pending.values()) due = Math.min(due, mark.dueAt)
    if (this.#timer !== undefined) {
      if (due >= this.#timerDueAt) return
      this.#clock.clearTimeout(this.#timer)
    }
    this.#timerDueAt = due
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#timerDueAt = Number.POSITIVE_INFINITY
      void this.#pass()
    }, Math.max(0, due - this.#node.now()))
  }

  async #pass(): Promise<void> {
    const node = this.#node
    const until = node.now() + PASS_WINDOW_MS
    const batch = new Map<string, ChurnMark>()
    for (const [hex, mark] of this.#pending) {
      if (mark.dueAt > until) continue
      batch.set(hex, mark)
      this.#pending.delete(hex)
    }
    this.#batch = batch
    try {
      await forEachLimit([...batch.values()], node.options.replicateConcurrency, async (mark) => {
        const meta = node.records.meta(mark.key)
        if (!this.#running || meta === undefined || meta.expiresAt <= node.now()) return
        const handOn = mark.entrants !== undefined
        const handed = mark.entrants === undefined ? 'marks' : await this.#handOn(mark.key, [...mark.entrants.values()], mark.departed)
        if (handed === 'none') return
        // Another holder's lookup stored the record on the true k closest since the departure, us
        // among them: ours is not needed. (A replayed STORE looks the same: SECURITY.md. It saves
        // the lookup, never the hand-on, which a STORE to this node says nothing about.)
        const needless = handed === 'done' || (node.records.meta(mark.key)?.replicatedAt ?? 0) > mark.markedAt
        // A record counts once it is handed on, or looked up where there was no hand-on.
        if (handOn || !needless) this.#replications++
        if (needless) return
        // Below churnHandOnMinK every mark has no entrants: that is the plan, not a fallback.
        if (handed !== 'marks' || node.options.k >= node.options.churnHandOnMinK) this.#fallbacks[handed]++
        this.#lookups++
        await this.#hooks.replicate(meta)
      })
    } finally {
      this.#batch = undefined
      this.#arm()
    }
  }

  /**
   * Sends the records under `key` to the entrants still among its k closest: 'done', 'none' (no
   * entrant is left among them), 'failed' when a STORE failed, or 'closer' when an answer named a
   * node closer than the entrant that our table lacks (for those two `storeAround` runs).
   */
  async #handOn(key: Id, entrants: readonly Id[], departed: ReadonlyMap<string, Id>): Promise<'done' | 'none' | 'failed' | 'closer'> {
    const node = this.#node
    const { k } = node.options
    const kSet = [node.id, ...node.table.closest(key, k)].sort((a, b) => compareDistance(key, a, b)).slice(0, k)
    const targets = entrants.filter((id) => kSet.some((member) => idEquals(member, id)))
    if (targets.length === 0) return 'none'
    const outcomes = await Promise.all(
      targets.map(async (target) => {
        for (const { record } of node.records.read(key, node.now())) {
          // The TTL left as each STORE goes: a hand-on never lengthens a record's life.
          const held = node.records.read(key, node.now()).find((each) => sameRecord(each.record, record))
          if (held === undefined) continue
          const store: Outgoing = { type: 'STORE', key, record, ttlMs: held.ttlMs, mode: 'replicate' }
          const response = await this.#hooks.request(target, store).catch((error: unknown) => (isDhtError(error, ErrorCode.REMOTE_ERROR) ? 'refused' : undefined))
          if (response === 'refused') continue
          if (response?.type !== 'STORED') return 'failed'
          if (this.#namesUnknownCloser(key, target, response.nodes, departed)) return 'closer'
        }
        return 'done'
      }),
    )
    return outcomes.find((outcome) => outcome !== 'done') ?? 'done'
  }

  /**
   * Whether `nodes` (`target`'s k closest to `key`) has one closer to the key than `target` that
   * our table lacks: not this node, not one whose departure marked the record, and one that could
   * be a node (the ID puzzle).
   */
  #namesUnknownCloser(key: Id, target: Id, nodes: readonly Id[], departed: ReadonlyMap<string, Id>): boolean {
    const { table, id: self } = this.#node
    return nodes.some((id) => compareDistance(key, id, target) < 0 && !idEquals(id, self) && !table.has(id) && !departed.has(idKey(id)) && this.#hooks.accept(id))
  }
}

/**
 * The nodes to hand a record under `key` to when `gone` left its k closest (this node counted as
 * one of them). `closest`: the table's k closest now. The nodes that entered them; and
 * `replacement`, promoted into `gone`'s bucket, if it is among them now. The replacement counts as
 * there before (a node we knew, which the put that stored the record met if it is among the k
 * closest), so the node after it is the one that entered; it is sent the record too, in case it
 * lacks it, as a new contact would be (`handOff`).
 */
export function entrantsAfter(key: Id, self: Id, closest: readonly Id[], gone: Id, replacement: Id | undefined, k: number): Id[] {
  const byDistance = (a: Id, b: Id): number => compareDistance(key, a, b)
  const now = [self, ...closest].sort(byDistance).slice(0, k)
  const before = [self, gone, ...closest].sort(byDistance).slice(0, k)
  const isReplacement = (id: Id): boolean => replacement !== undefined && idEquals(id, replacement)
  return now.filter((id) => !idEquals(id, self) && (isReplacement(id) || !before.some((member) => idEquals(member, id))))
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

/** Runs `task` on each item, at most `limit` at once; a task's failure does not stop the others. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!
      await task(item).catch(() => undefined)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}
