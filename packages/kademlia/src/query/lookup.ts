/**
 * The iterative Kademlia lookup, over d disjoint paths (S/Kademlia). The seeds (the k closest in
 * our table) are dealt round-robin over the paths; each path (path.ts) is an independent
 * iterative lookup with its own shortlist that asks up to ⌈α / d⌉ of its k closest at once and
 * converges when they have all answered. A node is asked by one path only: a node another path
 * asked first counts with that path's outcome and its answer stays there, so one bad region of
 * the keyspace can capture a path but not the others.
 *
 * A node lookup returns the k closest nodes that answered any path. A value lookup ends each path
 * at its first value, and the whole lookup when every path has ended or as soon as one value is
 * decided: found by more paths than any other value could still reach if every path still
 * running found it. So it returns the value most paths found (ties: the one found first), what
 * waiting for all would return, at the pace of the paths that decide it (the second of three,
 * not the slowest); paths still running then are reported as unfinished. With d = 1 this is the
 * classic lookup, which stops at the first value.
 *
 * Pure: it asks peers through the `ask` function it is given and reads time from the clock.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { compareBytes, type Id, idEquals } from '../keyspace/id.ts'
import type { AbortSignalLike, Clock } from '../platform/platform.ts'
import type { Response } from '../wire/messages.ts'
import { type Ask, byDistance, type Candidate, type Claim, outcomeOf, Path } from './path.ts'
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
  /** Its remaining lifetime when the lookup ended (0 if it expired meanwhile). */
  ttlMs: number
  from: Id
}

export interface LookupResult {
  /** The k closest nodes that answered, closest first. */
  closest: Id[]
  /** The value most paths found (FIND_VALUE lookups). */
  found: FoundValue | undefined
  /** The closest node that answered without a value: where a found value is cached. */
  closestWithoutValue: Id | undefined
  trace: LookupTrace
}

/** A value one path found. */
interface Finding extends FoundValue {
  path: number
  /** Clock time of the answer, to tell the remaining TTL when the lookup ends. */
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
  readonly #findings: Finding[] = []
  /** Paths that found a value (each ends at its first). */
  readonly #found = new Set<number>()
  readonly #startedAt: number
  #weakIds = 0
  #done = false
  #resolve!: (result: LookupResult) => void
  #reject!: (error: DhtError) => void

  constructor(options: LookupOptions) {
    this.#o = options
    this.#startedAt = options.clock.now()
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
    }
    this.#paths = Array.from({ length: d }, (_, index) => new Path({ ...pathOptions, index }))
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
    this.#reject(new DhtError(ErrorCode.ABORTED, 'lookup aborted', { cause: this.#o.signal?.reason }))
  }

  /** Lets every path start what it may; finishes when all have ended or a value is decided. */
  #pump(): void {
    if (this.#done) return
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
    if (ended === this.#paths.length || this.#decided()) this.#finish()
  }

  /** True when one value leads every other by more than the paths still running could change. */
  #decided(): boolean {
    if (this.#findings.length === 0) return false
    const counts = distinctValues(this.#findings)
      .map((group) => group.length)
      .sort((a, b) => b - a)
    const running = this.#paths.filter((path) => !path.ended).length
    return counts[0]! > (counts[1] ?? 0) + running
  }

  #query(path: Path, { candidate, count }: Ask): void {
    candidate.state = 'pending'
    candidate.asked = count
    path.inflight++
    let claim = this.#claims.get(candidate.key)
    if (claim === undefined) {
      claim = { path: path.index, state: 'pending' }
      this.#claims.set(candidate.key, claim)
      for (const other of this.#paths) if (other !== path) other.mirror(candidate.id, candidate.prefix, claim)
    }
    const sentAt = this.#o.clock.now()
    const settle = (outcome: TraceStep['outcome']): void => {
      path.inflight--
      const step = { peer: candidate.id, path: path.index, round: candidate.round, outcome, sentAt, settledAt: this.#o.clock.now() }
      this.#steps.push(step)
      candidate.state = claim.state = outcome === 'failed' ? 'failed' : 'answered'
    }
    this.#o.ask(candidate.id, count).then(
      (response) => {
        if (this.#done) return
        if (response.type === 'VALUE') {
          settle('value')
          candidate.gaveValue = true
          if (!this.#found.has(path.index)) {
            this.#found.add(path.index)
            const at = this.#o.clock.now()
            this.#findings.push({ value: response.value, ttlMs: response.ttlMs, from: candidate.id, path: path.index, at })
          }
          path.ended = true
        } else {
          settle('answered')
          if (response.type === 'NODES' && !path.ended) this.#learn(path, candidate, response.nodes)
        }
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
      if (path.add(id, introducer, this.#o.accept) === 'weak') this.#weakIds++
    }
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    this.#o.signal?.removeEventListener('abort', this.#abort)
    const { k, target } = this.#o
    // Each node was asked by one path, so the answered candidates of all paths are distinct.
    const answered = this.#paths.flatMap((path) => path.candidates.filter((c) => c.elsewhere === undefined && c.state === 'answered'))
    answered.sort(byDistance(target))
    const closest = answered.slice(0, k)
    const found = this.#chooseValue()
    const inflight = this.#paths.reduce((sum, path) => sum + path.inflight, 0)
    const unfinished = this.#paths.filter((path) => !path.ended).length
    this.#resolve({
      closest: closest.map((c) => c.id),
      found,
      closestWithoutValue: found === undefined ? undefined : answered.find((c) => !c.gaveValue)?.id,
      trace: {
        target,
        rounds: this.#steps.reduce((max, step) => Math.max(max, step.round), 0),
        messages: this.#steps.length + inflight,
        failures: this.#steps.filter((step) => step.outcome === 'failed').length,
        nodesAsked: this.#claims.size,
        weakIds: this.#weakIds,
        durationMs: this.#o.clock.now() - this.#startedAt,
        paths: this.#paths.length,
        ledAway: this.#ledAway(new Set(closest.map((c) => c.key))),
        distinctValues: distinctValues(this.#findings).length,
        pathsWithoutValue: this.#paths.length - this.#found.size - unfinished,
        pathsUnfinished: unfinished,
        steps: this.#steps,
      },
    })
  }

  /**
   * The value most paths found; ties go to the one found first. Its TTL is what remains now: the
   * other paths may have taken a while after it arrived.
   */
  #chooseValue(): FoundValue | undefined {
    let best: Finding[] | undefined
    for (const group of distinctValues(this.#findings)) if (best === undefined || group.length > best.length) best = group
    const first = best?.[0]
    if (first === undefined) return undefined
    return { value: first.value, ttlMs: Math.max(0, first.ttlMs - (this.#o.clock.now() - first.at)), from: first.from }
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

/** The findings grouped by value (bytewise), in the order each value was first found. */
function distinctValues(findings: readonly Finding[]): Finding[][] {
  const groups: Finding[][] = []
  for (const finding of findings) {
    const group = groups.find(([first]) => compareBytes(first!.value, finding.value) === 0)
    if (group === undefined) groups.push([finding])
    else group.push(finding)
  }
  return groups
}
