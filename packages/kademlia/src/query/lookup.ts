/**
 * The iterative Kademlia lookup. It keeps a shortlist of the closest nodes seen, asks up to α of
 * the k closest it has not asked yet, and is done when the k closest it knows of have all
 * answered (failed ones drop out). A value lookup stops at the first value.
 *
 * Failed nodes leave a gap: every node near the target still lists them among its k closest, so
 * answers of k contacts cannot reveal the live nodes just beyond. When a lookup has met failures,
 * before finishing it asks its closest answered nodes once more for k + failures contacts
 * ("widening"), up to α of them, which finds the k closest live nodes after a mass failure.
 *
 * Pure: it asks peers through the `ask` function it is given and reads time from the clock.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { compareDistance, distancePrefix, type Id, idEquals } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock } from '../platform/platform.ts'
import { MAX_CONTACTS_PER_MESSAGE, type Response } from '../wire/messages.ts'
import type { LookupTrace, TraceStep } from './trace.ts'

export interface LookupOptions {
  target: Id
  /** Our own ID, never asked and never returned. */
  self: Id
  /** Nodes to start from, usually the k closest in our routing table. */
  seeds: readonly Id[]
  k: number
  alpha: number
  /** Candidates remembered at most. */
  maxCandidates: number
  clock: Clock
  /**
   * Whether a contact named in an answer may become a candidate (the ID puzzle); the rest are
   * dropped and counted in the trace (`weakIds`). Seeds are not checked. Default: all.
   */
  accept?: ((id: Id) => boolean) | undefined
  /** Sends FIND_NODE or FIND_VALUE to `peer`, asking for `count` contacts. */
  ask(peer: Id, count: number): Promise<Response>
  signal?: AbortSignalLike | undefined
}

export interface FoundValue {
  value: Uint8Array
  ttlMs: number
  from: Id
}

export interface LookupResult {
  /** The k closest nodes that answered, closest first. */
  closest: Id[]
  /** The first value found (FIND_VALUE lookups). */
  found: FoundValue | undefined
  /** The closest node that answered without the value: where a found value is cached. */
  closestWithoutValue: Id | undefined
  trace: LookupTrace
}

type State = 'new' | 'pending' | 'answered' | 'failed'

interface Candidate {
  id: Id
  /** First 48 bits of the distance to the target, for cheap ordering. */
  prefix: number
  round: number
  state: State
  /** Contacts asked of it last time (0 before it is asked). */
  asked: number
}

export function lookup(options: LookupOptions): Promise<LookupResult> {
  return new Lookup(options).run()
}

class Lookup {
  readonly #o: LookupOptions
  readonly #candidates: Candidate[] = []
  readonly #steps: TraceStep[] = []
  readonly #startedAt: number
  #inflight = 0
  #failures = 0
  #widened = 0
  #weakIds = 0
  #found: FoundValue | undefined
  #done = false
  #resolve!: (result: LookupResult) => void
  #reject!: (error: DhtError) => void

  constructor(options: LookupOptions) {
    this.#o = options
    this.#startedAt = options.clock.now()
    for (const id of options.seeds) this.#add(id, 1, false)
  }

  run(): Promise<LookupResult> {
    return new Promise<LookupResult>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
      const signal = this.#o.signal
      if (signal?.aborted) return this.#abort()
      signal?.addEventListener('abort', this.#abort, { once: true })
      this.#pump()
    })
  }

  readonly #abort = (): void => {
    if (this.#done) return
    this.#done = true
    this.#reject(new DhtError(ErrorCode.ABORTED, 'lookup aborted', { cause: this.#o.signal?.reason }))
  }

  /**
   * Inserts a candidate in distance order. XOR distance to the target is unique per ID, so a
   * duplicate is found where the binary search lands; no set of seen IDs is needed.
   */
  #add(id: Id, round: number, introduced: boolean): void {
    const { target, maxCandidates, self, accept } = this.#o
    if (idEquals(id, self)) return
    const list = this.#candidates
    const prefix = distancePrefix(target, id)
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const other = list[mid]!
      if (other.prefix < prefix || (other.prefix === prefix && compareDistance(target, other.id, id) < 0)) lo = mid + 1
      else hi = mid
    }
    if (lo >= maxCandidates || (lo < list.length && idEquals(list[lo]!.id, id))) return
    // Checked only for a contact about to be added: a duplicate costs no hash.
    if (introduced && accept !== undefined && !accept(id)) {
      this.#weakIds++
      return
    }
    list.splice(lo, 0, { id, prefix, round, state: 'new', asked: 0 })
    // Forget the farthest candidates we have not asked, beyond the bound.
    while (list.length > maxCandidates && list[list.length - 1]!.state === 'new') list.pop()
  }

  /** Starts requests while allowed, or finishes when the k closest have all answered. */
  #pump(): void {
    if (this.#done) return
    const { k, alpha } = this.#o
    let live = 0
    let allAnswered = true
    for (const candidate of this.#candidates) {
      if (candidate.state === 'failed') continue
      if (live++ >= k) break
      if (candidate.state === 'answered') continue
      allAnswered = false
      if (candidate.state === 'new' && this.#inflight < alpha) this.#query(candidate, k)
    }
    if (this.#inflight > 0 && !allAnswered) return
    if (this.#failures > 0 && this.#widen()) return
    this.#finish()
  }

  /** Re-asks up to α of the closest answered nodes for k + failures contacts; false if none left. */
  #widen(): boolean {
    const { k, alpha } = this.#o
    const want = Math.min(MAX_CONTACTS_PER_MESSAGE, k + this.#failures)
    let live = 0
    for (const candidate of this.#candidates) {
      if (candidate.state === 'failed') continue
      if (live++ >= k || this.#widened >= alpha) break
      if (candidate.state === 'answered' && candidate.asked < want) {
        this.#widened++
        this.#query(candidate, want)
        return true
      }
    }
    return false
  }

  #query(candidate: Candidate, count: number): void {
    candidate.state = 'pending'
    candidate.asked = count
    this.#inflight++
    const sentAt = this.#o.clock.now()
    const settle = (outcome: TraceStep['outcome']): void => {
      this.#inflight--
      this.#steps.push({ peer: candidate.id, round: candidate.round, outcome, sentAt, settledAt: this.#o.clock.now() })
    }
    this.#o.ask(candidate.id, count).then(
      (response) => {
        if (this.#done) return
        if (response.type === 'VALUE') {
          settle('value')
          candidate.state = 'answered'
          this.#found = { value: response.value, ttlMs: response.ttlMs, from: candidate.id }
          this.#finish()
          return
        }
        settle('answered')
        candidate.state = 'answered'
        if (response.type === 'NODES') {
          for (const id of response.nodes) this.#add(id, candidate.round + 1, true)
        }
        this.#pump()
      },
      () => {
        if (this.#done) return
        settle('failed')
        candidate.state = 'failed'
        this.#failures++
        this.#pump()
      },
    )
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    this.#o.signal?.removeEventListener('abort', this.#abort)
    const answered = this.#candidates.filter((c) => c.state === 'answered')
    const closest = answered.slice(0, this.#o.k).map((c) => c.id)
    const found = this.#found
    const closestWithoutValue = found === undefined ? undefined : answered.find((c) => !idEquals(c.id, found.from))?.id
    const rounds = this.#steps.reduce((max, step) => Math.max(max, step.round), 0)
    this.#resolve({
      closest,
      found,
      closestWithoutValue,
      trace: {
        target: this.#o.target,
        rounds,
        messages: this.#steps.length + this.#inflight,
        failures: this.#failures,
        nodesAsked: this.#candidates.filter((c) => c.asked > 0).length,
        weakIds: this.#weakIds,
        durationMs: this.#o.clock.now() - this.#startedAt,
        steps: this.#steps,
      },
    })
  }
}
