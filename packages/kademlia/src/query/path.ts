/**
 * One path of a lookup: its shortlist of candidates in distance order, the window of the k
 * closest it is working on, and what to ask next. It does no I/O: the lookup (lookup.ts) asks
 * the peers this path picks and hands back their answers.
 *
 * The window is the k closest candidates that have not failed, except that one introducer (the
 * peer whose answer named a candidate first) may place at most `maxIntroducedPerPeer` candidates
 * in it. Its further candidates wait outside and enter only when nothing else fills the window,
 * so one peer answering with k made-up IDs closer than anything real cannot crowd out the rest:
 * they enter only once the path has nothing else left to ask.
 * Not charged to anyone: seeds (from this node's own table) and candidates a second peer named
 * too (an honest answer near the target names nodes its neighbours name as well). An
 * introducer's candidates that failed stay charged to it, so IDs that never answer do not free
 * room for more of the same.
 *
 * A candidate another path asked first is never asked by this one: it counts here with that
 * path's outcome (pending, slow, answered, failed) but its answer stays with that path, so the
 * paths remain disjoint.
 *
 * A slow candidate (asked, not answered within its round trips) stays in the window as a pending
 * one: while it is among the k closest, the path converges only once it has answered or failed.
 * It may give its slot back, though (lookup.ts), so meanwhile the path asks the next candidates.
 */
import { compareDistance, distancePrefix, type Id, idEquals, idKey } from '../keyspace/id.ts'
import { MAX_CONTACTS_PER_MESSAGE } from '../wire/messages.ts'

/** 'slow': still pending, but waited on longer than its contact's round trips warrant (lookup.ts). */
type Outcome = 'pending' | 'slow' | 'answered' | 'failed'

/** The first path that asked a node, and how its request went; shared by all paths. */
export interface Claim {
  readonly path: number
  state: Outcome
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
  /** Slow requests that gave their slot back and are still pending (at most `alpha` at once). */
  slow = 0
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
   * has answered, after failures, one re-ask of a close answered candidate for more contacts
   * ("widening"); [] while waiting for answers; 'converged' when done.
   */
  next(): Ask[] | 'converged' {
    if (this.ended) return 'converged'
    const { window, waiting, mirroredFailures } = this.#window()
    let asks = this.#asks(window)
    if (asks !== 'done') return asks
    // Room left once everything else is done: the candidates that waited enter, closest first.
    const room = waiting.slice(0, this.#o.k - window.length)
    asks = this.#asks(room)
    if (asks !== 'done') return asks
    const widen = this.#widen([...window, ...room].sort(byDistance(this.#o.target)), this.failures + mirroredFailures)
    return widen === undefined ? 'converged' : [widen]
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
   * up to `alpha` of them.
   */
  #widen(window: readonly Candidate[], failures: number): Ask | undefined {
    if (failures === 0 || this.#widened >= this.#o.alpha) return undefined
    const want = Math.min(MAX_CONTACTS_PER_MESSAGE, this.#o.k + failures)
    const candidate = window.find((c) => c.elsewhere === undefined && c.state === 'answered' && c.asked < want)
    if (candidate === undefined) return undefined
    this.#widened++
    return { candidate, count: want }
  }

  /**
   * The k closest candidates that have not failed, at most `maxIntroducedPerPeer` per introducer;
   * `waiting` holds the candidates the bound kept out, closest first.
   */
  #window(): { window: Candidate[]; waiting: Candidate[]; mirroredFailures: number } {
    const { k, maxIntroducedPerPeer } = this.#o
    const epoch = ++this.#epoch
    const window: Candidate[] = []
    const waiting: Candidate[] = []
    let mirroredFailures = 0
    for (const candidate of this.candidates) {
      if (window.length >= k) break
      const introducer = candidate.vouched ? undefined : candidate.introducer
      if (introducer !== undefined && introducer.epoch !== epoch) {
        introducer.epoch = epoch
        introducer.charged = 0
      }
      if (outcomeOf(candidate) === 'failed') {
        if (candidate.elsewhere !== undefined) mirroredFailures++
        if (introducer !== undefined) introducer.charged++
      } else if (introducer !== undefined && introducer.charged >= maxIntroducedPerPeer) {
        waiting.push(candidate)
      } else {
        if (introducer !== undefined) introducer.charged++
        window.push(candidate)
      }
    }
    return { window, waiting, mirroredFailures }
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

/** A candidate's state as far as its path is concerned: its own request's, or the claiming path's. */
export function outcomeOf(candidate: Candidate): Candidate['state'] {
  return candidate.elsewhere?.state ?? candidate.state
}

export function byDistance(target: Id): (a: Candidate, b: Candidate) => number {
  return (a, b) => a.prefix - b.prefix || compareDistance(target, a.id, b.id)
}
