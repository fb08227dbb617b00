/**
 * The iterative Kademlia lookup, over d disjoint paths (S/Kademlia). The seeds (the k closest in
 * our table) are dealt round-robin over the paths; each path (path.ts) is an independent
 * iterative lookup with its own shortlist that asks up to ⌈α / d⌉ of its k closest at once and
 * converges when they have all answered. A node is asked by one path only: a node another path
 * asked first counts with that path's outcome and its answer stays there, so one bad region of
 * the keyspace can capture a path but not the others.
 *
 * A node lookup returns the k closest nodes that answered any path. A value lookup goes on the
 * same way (a VALUE answer names closer nodes too) until `quorum` holders have answered with
 * records, or every path has converged; it returns every holder's answer (a "finding"), and the
 * caller picks the newest valid record of each slot and repairs the holders that lacked it. The
 * records in an answer are checked by the caller's `ask` before the lookup sees them, so a
 * forger's answer does not count toward the quorum. The trace reports how many distinct answers
 * the holders gave and which paths found none.
 *
 * A first request to a node unanswered after `slowAfterMs` (a few of its contact's round trips)
 * turns slow, and gives its slot back to its path so the path asks the next candidates meanwhile
 * (at most d × ⌈α / d⌉ slots given back at once over all paths, as many as they have, so that a
 * path that meets several crashed nodes in a row goes on; a request that turns slow beyond that
 * keeps its slot). Once a request the lookup sent no earlier has been answered in under half the
 * time a slow one has waited, the slow one is overdue: the network answers and that node does
 * not. Neither the quorum nor a path's convergence waits for an overdue node (path.ts), so a
 * crashed node costs a get or a put's lookup about a round trip, not the request's timeout. It is
 * not failed: if it answers while the lookup runs, the answer counts as any other. A lag that
 * holds up every answer about alike makes nothing overdue, and is waited out. The price: a live
 * node slower than its wait is left out of a node lookup's k closest and of a get's quorum.
 *
 * Pure: it asks peers through the `ask` function it is given and reads time from the clock.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, idEquals, idKey } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock, TimerHandle } from '../platform/platform.ts'
import { seqOf, slotOf } from '../records/signed-record.ts'
import type { Response, TimedRecord } from '../wire/messages.ts'
import { Overdue } from './overdue.ts'
import { type Ask, byDistance, type Candidate, type Claim, outcomeOf, Path, sentAtOf } from './path.ts'
import type { LookupTrace, TraceStep } from './trace.ts'

export interface LookupOptions {
  target: Id
  /** Our own ID, never asked and never returned. */
  self: Id
  /** Nodes to start from, usually the k closest in our routing table, closest first. */
  seeds: readonly Id[]
  k: number
  /** Requests in flight at once, over all paths (each path keeps ⌈alpha / paths⌉). */
  alpha: number
  /** Disjoint paths (d); at most the number of seeds. Default 1. */
  paths?: number | undefined
  /** Candidates one introducer may place in a path's window of k (see path.ts). Default: no bound. */
  maxIntroducedPerPeer?: number | undefined
  /** Candidates remembered at most, per path. */
  maxCandidates: number
  /** Value lookups: holders to hear from before finishing (default 1). */
  quorum?: number | undefined
  clock: Clock
  /**
   * Whether a contact named in an answer may become a candidate (the ID puzzle); the rest are
   * dropped and counted in the trace (`weakIds`). Seeds are not checked. Default: all.
   */
  accept?: ((id: Id) => boolean) | undefined
  /** Contacts not to ask, whoever names them (the node's contacts that just failed). Default: none. */
  skip?: ((id: Id) => boolean) | undefined
  /**
   * Ends the lookup early with what it has once this holds, checked before each new request (a
   * bucket fill: the bucket is full). Default: never.
   */
  enough?: (() => boolean) | undefined
  /**
   * How long to wait on a request to `peer` before it turns slow (ms; Infinity: never). Default:
   * never.
   */
  slowAfterMs?: ((peer: Id) => number) | undefined
  /** Sends FIND_NODE or FIND_VALUE to `peer`, asking for `count` contacts. */
  ask(peer: Id, count: number): Promise<Response>
  signal?: AbortSignalLike | undefined
}

/** One holder's answer to a value lookup: its records, TTLs as they stand when the lookup ends. */
export interface Finding {
  from: Id
  records: TimedRecord[]
  /** The path that asked it. */
  path: number
}

export interface LookupResult {
  /** The k closest nodes that answered, closest first. */
  closest: Id[]
  /** Every holder's answer (value lookups), in the order they came. */
  findings: Finding[]
  trace: LookupTrace
}

/** An answer as it came, with its clock time, to tell the remaining TTLs when the lookup ends. */
interface Answer extends Finding {
  at: number
}

export function lookup(options: LookupOptions): Promise<LookupResult> {
  return new Lookup(options).run()
}

class Lookup {
  readonly #o: LookupOptions
  readonly #paths: Path[]
  /** Every node asked, by `idKey`, with the path that asked it. */
  readonly #claims = new Map<string, Claim>()
  readonly #steps: TraceStep[] = []
  readonly #findings: Answer[] = []
  /** Paths that found a value. */
  readonly #found = new Set<number>()
  readonly #startedAt: number
  /** The slow timers of the requests in flight, cleared when they settle or the lookup ends. */
  readonly #slowTimers = new Set<TimerHandle>()
  #weakIds = 0
  #slow = 0
  /** Slots given back by slow requests still pending, over all paths; at most `#slotsGivable`. */
  #givenBack = 0
  /** As many as the paths' slots together (d × ⌈α / d⌉): slow requests at most double what is in flight. */
  readonly #slotsGivable: number
  /** Which slow requests are overdue (overdue.ts). */
  readonly #overdue: Overdue
  /** Nodes that have answered (first asks; a re-ask of one does not count again). */
  #answered = 0
  #done = false
  #resolve!: (result: LookupResult) => void
  #reject!: (error: DhtError) => void

  constructor(options: LookupOptions) {
    this.#o = options
    this.#startedAt = options.clock.now()
    this.#overdue = new Overdue(options.clock)
    const seeds = options.seeds.filter((id) => !idEquals(id, options.self))
    const d = Math.max(1, Math.min(options.paths ?? 1, seeds.length))
    const pathOptions = {
      target: options.target,
      self: options.self,
      k: options.k,
      alpha: Math.max(1, Math.ceil(options.alpha / d)),
      maxCandidates: options.maxCandidates,
      maxIntroducedPerPeer: options.maxIntroducedPerPeer ?? Number.POSITIVE_INFINITY,
      claimOf: (key: string) => this.#claims.get(key),
      overdue: (sentAt: number) => this.#overdue.is(sentAt),
      answered: () => this.#answered,
    }
    this.#paths = Array.from({ length: d }, (_, index) => new Path({ ...pathOptions, index }))
    this.#slotsGivable = d * pathOptions.alpha
    seeds.forEach((id, i) => this.#paths[i % d]!.add(id, undefined))
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
    this.#clearSlowTimers()
    this.#reject(new DhtError(ErrorCode.ABORTED, 'lookup aborted', { cause: this.#o.signal?.reason }))
  }

  /** Lets every path start what it may; finishes when all have converged or the quorum answered. */
  #pump(): void {
    if (this.#done) return
    if (this.#quorumReached() || this.#o.enough?.() === true) return this.#finish()
    let ended = 0
    for (const path of this.#paths) {
      const next = path.next()
      if (next === 'converged') {
        path.ended = true
        ended++
      } else {
        for (const ask of next) this.#query(path, ask)
      }
    }
    if (ended === this.#paths.length) this.#finish()
    else this.#overdue.arm(() => this.#pump())
  }

  /**
   * True when the `quorum` holders closest to the target have answered with records and every
   * node closer than them that the lookup knows of has answered too (or failed, or is overdue):
   * walking the k closest known nodes outward, none is still to ask before `quorum` holders are
   * met. So holders far from the key that answer first (stale or lying) cannot end a get before
   * the nodes the key belongs to have spoken.
   */
  #quorumReached(): boolean {
    const quorum = this.#o.quorum ?? 1
    if (this.#findings.length < quorum) return false
    const holders = new Set(this.#findings.map((f) => idKey(f.from)))
    const known = new Map<string, Candidate>()
    for (const path of this.#paths) {
      for (const c of path.candidates) {
        const outcome = outcomeOf(c)
        const overdue = outcome === 'slow' && this.#overdue.is(sentAtOf(c))
        if (outcome !== 'failed' && !overdue && !known.has(c.key)) known.set(c.key, c)
      }
    }
    const closest = [...known.values()].sort(byDistance(this.#o.target)).slice(0, this.#o.k)
    let met = 0
    for (const candidate of closest) {
      if (outcomeOf(candidate) !== 'answered') return false
      if (holders.has(candidate.key) && ++met >= quorum) return true
    }
    return false
  }

  #query(path: Path, { candidate, count }: Ask): void {
    candidate.state = 'pending'
    candidate.asked = count
    path.inflight++
    const sentAt = this.#o.clock.now()
    let claim = this.#claims.get(candidate.key)
    if (claim === undefined) {
      claim = { path: path.index, state: 'pending', sentAt }
      candidate.sentAt = sentAt
      this.#claims.set(candidate.key, claim)
      for (const other of this.#paths) if (other !== path) other.mirror(candidate.id, candidate.prefix, claim)
    }
    /** Whether the request gave its slot back when it turned slow. */
    let freed = false
    /** Whether it turned slow but kept its slot (the path had given back all it may). */
    let held = false
    // A widening re-ask of a node that answered never turns slow: the node stays answered for the
    // other paths and the quorum, and the path waits for its extra contacts as before.
    const firstAsk = claim.state === 'pending'
    const slowAfter = firstAsk ? (this.#o.slowAfterMs?.(candidate.id) ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY
    const slowTimer = Number.isFinite(slowAfter)
      ? this.#o.clock.setTimeout(() => {
          this.#slowTimers.delete(slowTimer!)
          if (this.#done || candidate.state !== 'pending') return
          candidate.state = claim.state = 'slow'
          this.#overdue.slow(claim, sentAt)
          this.#slow++
          if (this.#givenBack < this.#slotsGivable) {
            freed = true
            this.#givenBack++
            path.slow++
            path.inflight--
          } else {
            held = true
            path.slowHeld++
          }
          this.#pump()
        }, slowAfter)
      : undefined
    if (slowTimer !== undefined) this.#slowTimers.add(slowTimer)
    const settle = (outcome: TraceStep['outcome']): void => {
      if (slowTimer !== undefined && this.#slowTimers.delete(slowTimer)) this.#o.clock.clearTimeout(slowTimer)
      if (freed) {
        this.#givenBack--
        path.slow--
      } else path.inflight--
      if (held) path.slowHeld--
      const step = { peer: candidate.id, path: path.index, round: candidate.round, outcome, sentAt, settledAt: this.#o.clock.now() }
      this.#steps.push(step)
      // A node that answered and then failed a re-ask no longer counts (it leaves `closest`).
      if (outcome !== 'failed' && claim.state !== 'answered') this.#answered++
      else if (outcome === 'failed' && claim.state === 'answered') this.#answered--
      candidate.state = claim.state = outcome === 'failed' ? 'failed' : 'answered'
      this.#overdue.settled(claim)
      if (outcome !== 'failed') this.#overdue.answered(sentAt)
    }
    this.#o.ask(candidate.id, count).then(
      (response) => {
        if (this.#done) return
        if (response.type === 'VALUE') {
          settle('value')
          this.#found.add(path.index)
          this.#findings.push({ from: candidate.id, records: response.records, path: path.index, at: this.#o.clock.now() })
        } else {
          settle('answered')
        }
        // A replica STORE's answer names closer nodes too (a lookup whose requests are the STOREs).
        if ((response.type === 'NODES' || response.type === 'VALUE' || response.type === 'STORED') && !path.ended) this.#learn(path, candidate, response.nodes)
        this.#pump()
      },
      () => {
        if (this.#done) return
        settle('failed')
        path.failures++
        this.#pump()
      },
    )
  }

  #learn(path: Path, introducer: Candidate, nodes: readonly Id[]): void {
    for (const id of nodes) {
      if (this.#o.skip?.(id) === true) continue
      if (path.add(id, introducer, this.#o.accept) === 'weak') this.#weakIds++
    }
  }

  #clearSlowTimers(): void {
    for (const timer of this.#slowTimers) this.#o.clock.clearTimeout(timer)
    this.#slowTimers.clear()
    this.#overdue.clear()
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    this.#clearSlowTimers()
    this.#o.signal?.removeEventListener('abort', this.#abort)
    const { k, target } = this.#o
    // Each node was asked by one path, so the answered candidates of all paths are distinct.
    const answered = this.#paths.flatMap((path) => path.candidates.filter((c) => c.elsewhere === undefined && c.state === 'answered'))
    answered.sort(byDistance(target))
    const closest = answered.slice(0, k)
    const now = this.#o.clock.now()
    const findings = this.#findings.map(({ from, path, records, at }) => ({
      from,
      path,
      records: records.map(({ record, ttlMs }) => ({ record, ttlMs: Math.max(0, ttlMs - (now - at)) })),
    }))
    const inflight = this.#paths.reduce((sum, path) => sum + path.inflight + path.slow, 0)
    const unfinished = this.#paths.filter((path) => !path.ended).length
    this.#resolve({
      closest: closest.map((c) => c.id),
      findings,
      trace: {
        target,
        rounds: this.#steps.reduce((max, step) => Math.max(max, step.round), 0),
        messages: this.#steps.length + inflight,
        failures: this.#steps.filter((step) => step.outcome === 'failed').length,
        slowRequests: this.#slow,
        nodesAsked: this.#claims.size,
        weakIds: this.#weakIds,
        durationMs: now - this.#startedAt,
        paths: this.#paths.length,
        ledAway: this.#ledAway(new Set(closest.map((c) => c.key))),
        distinctValues: new Set(findings.map(answerPrint)).size,
        pathsWithoutValue: this.#paths.filter((path) => path.ended && !this.#found.has(path.index)).length,
        pathsUnfinished: unfinished,
        invalidRecords: 0,
        staleAnswers: 0,
        repaired: 0,
        steps: this.#steps,
      },
    })
  }

  /**
   * Paths that ended without a value whose best node (the closest node it learned of that
   * answered, whichever path asked it) is not among the merged k closest, or that have none:
   * paths that were led away from the target.
   */
  #ledAway(closest: ReadonlySet<string>): number[] {
    return this.#paths
      .filter((path) => {
        if (this.#found.has(path.index) || !path.ended) return false
        const best = path.candidates.find((c) => outcomeOf(c) === 'answered')
        return best === undefined || !closest.has(best.key)
      })
      .map((path) => path.index)
  }
}

/** What an answer says, as text: its records' slots and seqs (two holders agree when equal). */
function answerPrint(finding: Finding): string {
  return finding.records
    .map(({ record }) => `${slotOf(record)}@${seqOf(record)}`)
    .sort()
    .join(' ')
}
