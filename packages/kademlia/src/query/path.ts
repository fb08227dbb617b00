/**
 * One path of a lookup: its shortlist of candidates in distance order, the window of the k
 * closest it is working on, and what to ask next. It does no I/O: the lookup (lookup.ts) asks
 * the peers this path picks and hands back their answers.
 *
 * The window is the k closest candidates that have not failed (nor are overdue, below), except
 * that one introducer (the peer whose answer named a candidate first) may place at most
 * `maxIntroducedPerPeer` candidates in it. Its further candidates wait outside and enter only when
 * nothing else fills the window, so one peer answering with k made-up IDs closer than anything
 * real cannot crowd out the rest: they enter only once the path has nothing else left to ask.
 * Not charged to anyone: seeds (from this node's own table) and candidates a second peer named
 * too (an honest answer near the target names nodes its neighbours name as well). An
 * introducer's candidates that failed stay charged to it, so IDs that never answer do not free
 * room for more of the same.
 *
 * A candidate another path asked first is never asked by this one: it counts here with that
 * path's outcome (pending, slow, answered, failed) but its answer stays with that path, so the
 * paths remain disjoint.
 *
 * A slow candidate (asked, not answered within its round trips; lookup.ts) is overdue once a
 * request the lookup sent no earlier has been answered in under half the time it has waited: the
 * network answers, this node does not. An overdue candidate leaves the window as a failed one
 * does, so the path asks the next candidates and converges without waiting for it: a crashed node
 * costs a lookup a round trip or so, not its timeout. If it answers before the path converges, it
 * is back in the window like any other. A slow candidate that is not overdue (a lag that holds up
 * every answer about alike, ours included) is waited for as before.
 *
 * A path that knows fewer than k candidates besides its failed and overdue ones, in a lookup that
 * fewer than k nodes have answered, is short: it may re-ask (widen) up to k times instead of
 * `alpha`, and once it has none left to re-ask it waits for its overdue candidates after all (a
 * put must find k nodes to store on).
 */
import { compareDistance, distancePrefix, type Id, idEquals, idKey } from '../keyspace/id.ts'
import { MAX_CONTACTS_PER_MESSAGE } from '../wire/messages.ts'

/** 'slow': still pending, but waited on longer than its contact's round trips warrant (lookup.ts). */
type Outcome = 'pending' | 'slow' | 'answered' | 'failed'

/** The first path that asked a node, and how its request went; shared by all paths. */
export interface Claim {
  readonly path: number
  state: Outcome
  /** Clock time of that path's request. */
  readonly sentAt: number
}

export interface Candidate {
  readonly id: Id
  /** `idKey(id)`, the key of the lookup's claims. */
  readonly key: string
  /** First 48 bits of the distance to the target, for cheap ordering. */
  readonly prefix: number
  /** 1 for seeds, n + 1 for candidates named in an answer of a round-n candidate. */
  readonly round: number
  /** The candidate whose answer named this one first; undefined for seeds. */
  readonly introducer: Candidate | undefined
  /** Named by a second peer too: no longer charged to its introducer. */
  vouched: boolean
  /** This path's own request to it: 'new' until this path asks. */
  state: 'new' | Outcome
  /** Another path asked it first: it counts here with that path's outcome and is never asked here. */
  elsewhere: Claim | undefined
  /** Contacts asked of it last time (0 before it is asked). */
  asked: number
  /** Clock time this path first asked it. */
  sentAt: number
  /** Step in which `charged` was last reset (see `Path.#window`). */
  epoch: number
  /** Candidates this one introduced that are in the current window (or failed). */
  charged: number
}

export interface PathOptions {
  index: number
  target: Id
  self: Id
  k: number
  /** Requests this path keeps in flight. */
  alpha: number
  maxCandidates: number
  maxIntroducedPerPeer: number
  /** The claim on a node by another path, if any. */
  claimOf(key: string): Claim | undefined
  /** Whether a slow request sent at `sentAt` is overdue (lookup.ts). */
  overdue(sentAt: number): boolean
  /** Nodes that have answered the lookup, over all paths. */
  answered(): number
}

/** A request the path wants sent: ask `candidate` for `count` contacts. */
export interface Ask {
  candidate: Candidate
  count: number
}

export class Path {
  readonly index: number
  readonly candidates: Candidate[] = []
  readonly #o: PathOptions
  /** Requests that hold one of the path's `alpha` slots. */
  inflight = 0
  /** Slow requests that gave their slot back and are still pending (lookup.ts bounds them in all). */
  slow = 0
  /** Of `inflight`, slow requests that kept their slot (the lookup had given back all it may). */
  slowHeld = 0
  /** Requests of this path that failed. */
  failures = 0
  #widened = 0
  #epoch = 0
  /** Converged: asks nothing more. */
  ended = false

  constructor(options: PathOptions) {
    this.#o = options
    this.index = options.index
  }

  /**
   * Inserts a candidate in distance order (XOR distance is unique per ID, so a duplicate is found
   * where the binary search lands) unless it is self or beyond the bound. `accept` (the ID
   * puzzle) is asked only about a new candidate within the bound. Returns the candidate, 'known',
   * 'weak' (refused by `accept`) or 'refused'.
   */
  add(id: Id, introducer: Candidate | undefined, accept?: (id: Id) => boolean): Candidate | 'known' | 'weak' | 'refused' {
    const { target, maxCandidates, self } = this.#o
    if (idEquals(id, self)) return 'refused'
    const list = this.candidates
    const prefix = distancePrefix(target, id)
    const at = this.#search(id, prefix)
    const existing = list[at]
    if (existing !== undefined && idEquals(existing.id, id)) {
      if (introducer !== existing.introducer) existing.vouched = true
      return 'known'
    }
    if (at >= maxCandidates) return 'refused'
    if (accept !== undefined && !accept(id)) return 'weak'
    const key = idKey(id)
    const claim = this.#o.claimOf(key)
    const candidate: Candidate = {
      id,
      key,
      prefix,
      round: introducer === undefined ? 1 : introducer.round + 1,
      introducer,
      vouched: false,
      state: 'new',
      elsewhere: claim !== undefined && claim.path !== this.index ? claim : undefined,
      asked: 0,
      sentAt: 0,
      epoch: 0,
      charged: 0,
    }
    list.splice(at, 0, candidate)
    // Forget the farthest candidates nobody has asked, beyond the bound.
    while (list.length > maxCandidates && list[list.length - 1]!.state === 'new') list.pop()
    return candidate
  }

  /** Requests this path keeps in flight. */
  get alpha(): number {
    return this.#o.alpha
  }

  /** Another path asked `id` first: count it with that path's outcome from now on. */
  mirror(id: Id, prefix: number, claim: Claim): void {
    const candidate = this.candidates[this.#search(id, prefix)]
    if (candidate !== undefined && candidate.state === 'new' && idEquals(candidate.id, id)) candidate.elsewhere = claim
  }

  /**
   * What to ask next: up to `alpha` new candidates of the window; once every window candidate
   * has answered, after failures (or overdue nodes), one re-ask of a close answered candidate for
   * more contacts ("widening"), when a slot is free; [] while waiting for answers or a slot;
   * 'converged' when done. A short path (see above) may widen up to k times, then waits for its
   * overdue candidates; a path whose slots are all held by slow requests converges without the
   * re-ask rather than wait for their timeouts.
   */
  next(): Ask[] | 'converged' {
    if (this.ended) return 'converged'
    const { k, alpha } = this.#o
    const { window, waiting, mirroredFailures, slow } = this.#window(true)
    // Fewer than k candidates besides the failed and overdue ones, and fewer than k nodes have
    // answered the whole lookup (a put must find k nodes to store on): the path may widen with
    // more re-asks, and once it has none left, it waits for its overdue candidates.
    const short = window.length + waiting.length < k && this.#o.answered() < k
    let asks = this.#asks(window)
    if (asks !== 'done') return asks
    // Room left once everything else is done: the candidates that waited enter, closest first.
    const room = waiting.slice(0, k - window.length)
    asks = this.#asks(room)
    if (asks !== 'done') return asks
    // An overdue node left out leaves the same gap in answers as a failed one.
    const widen = this.#widen([...window, ...room].sort(byDistance(this.#o.target)), this.failures + mirroredFailures + slow, short ? k : alpha)
    if (widen !== undefined) {
      if (this.inflight < alpha) {
        this.#widened++
        return [widen]
      }
      // A re-ask takes a slot like any request: wait for one, unless slow requests hold them all;
      // then converge without it rather than wait for their timeouts.
      return short || this.inflight > this.slowHeld ? [] : 'converged'
    }
    if (!short || slow === 0) return 'converged'
    asks = this.#asks(this.#window(false).window)
    return asks === 'done' ? 'converged' : asks
  }

  /** Up to `alpha` in flight: new candidates to ask, closest first; 'done' when all have answered. */
  #asks(candidates: readonly Candidate[]): Ask[] | 'done' {
    const asks: Ask[] = []
    let done = true
    for (const candidate of candidates) {
      const state = outcomeOf(candidate)
      if (state === 'answered') continue
      done = false
      if (state === 'new' && candidate.elsewhere === undefined && this.inflight + asks.length < this.#o.alpha) {
        asks.push({ candidate, count: this.#o.k })
      }
    }
    return done ? 'done' : asks
  }

  /**
   * Failed nodes leave a gap: every node near the target still lists them among its k closest,
   * so answers of k contacts cannot reveal the live nodes just beyond. After failures, the path
   * re-asks its closest answered candidates once more for k + failures contacts, one at a time,
   * up to `limit` re-asks (`alpha`; k while the path and the lookup are short of k nodes).
   */
  #widen(window: readonly Candidate[], failures: number, limit: number): Ask | undefined {
    if (failures === 0 || this.#widened >= limit) return undefined
    const want = Math.min(MAX_CONTACTS_PER_MESSAGE, this.#o.k + failures)
    const candidate = window.find((c) => c.elsewhere === undefined && c.state === 'answered' && c.asked < want)
    return candidate === undefined ? undefined : { candidate, count: want }
  }

  /**
   * The k closest candidates that have not failed (with `skipOverdue`, nor are overdue), at most
   * `maxIntroducedPerPeer` per introducer; `waiting` holds the candidates the bound kept out,
   * closest first; `slow`, the overdue candidates left out on the way.
   */
  #window(skipOverdue: boolean): { window: Candidate[]; waiting: Candidate[]; mirroredFailures: number; slow: number } {
    const { k, maxIntroducedPerPeer } = this.#o
    const epoch = ++this.#epoch
    const window: Candidate[] = []
    const waiting: Candidate[] = []
    let mirroredFailures = 0
    let slow = 0
    for (const candidate of this.candidates) {
      if (window.length >= k) break
      const introducer = candidate.vouched ? undefined : candidate.introducer
      if (introducer !== undefined && introducer.epoch !== epoch) {
        introducer.epoch = epoch
        introducer.charged = 0
      }
      const outcome = outcomeOf(candidate)
      const overdue = skipOverdue && outcome === 'slow' && this.#o.overdue(sentAtOf(candidate))
      if (outcome === 'failed' || overdue) {
        if (overdue) slow++
        else if (candidate.elsewhere !== undefined) mirroredFailures++
        // Charged like a failure: IDs that never answer free no room for more of the same.
        if (introducer !== undefined) introducer.charged++
      } else if (introducer !== undefined && introducer.charged >= maxIntroducedPerPeer) {
        waiting.push(candidate)
      } else {
        if (introducer !== undefined) introducer.charged++
        window.push(candidate)
      }
    }
    return { window, waiting, mirroredFailures, slow }
  }

  #search(id: Id, prefix: number): number {
    const list = this.candidates
    const target = this.#o.target
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const other = list[mid]!
      if (other.prefix < prefix || (other.prefix === prefix && compareDistance(target, other.id, id) < 0)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** When the request that decides a candidate's state was sent: its own path's, or the claiming path's. */
export function sentAtOf(candidate: Candidate): number {
  return candidate.elsewhere?.sentAt ?? candidate.sentAt
}

/** A candidate's state as far as its path is concerned: its own request's, or the claiming path's. */
export function outcomeOf(candidate: Candidate): Candidate['state'] {
  return candidate.elsewhere?.state ?? candidate.state
}

export function byDistance(target: Id): (a: Candidate, b: Candidate) => number {
  return (a, b) => a.prefix - b.prefix || compareDistance(target, a.id, b.id)
}
