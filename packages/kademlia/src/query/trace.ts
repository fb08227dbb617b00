import type { Id } from '../keyspace/id.ts'

export type StepOutcome = 'answered' | 'value' | 'failed'

/** One request a lookup made. */
export interface TraceStep {
  peer: Id
  /** The disjoint path that made the request (0 … paths − 1). */
  path: number
  /** 1 for peers from our own table, n + 1 for peers learned from a round-n answer. */
  round: number
  outcome: StepOutcome
  /** Clock time the request was sent and settled. */
  sentAt: number
  settledAt: number
}

/** What a lookup did, for the web app and the benchmarks. */
export interface LookupTrace {
  target: Id
  /** Longest chain of requests that depended on each other's answers. */
  rounds: number
  /** Requests sent. */
  messages: number
  /** Requests that failed (timeout or error). */
  failures: number
  /** Requests the lookup stopped waiting on before they settled (slow; see lookup.ts). */
  slowRequests: number
  /** Distinct peers asked. */
  nodesAsked: number
  /** Contacts named in answers that failed the ID puzzle (`idPuzzleBits`) and were dropped. */
  weakIds: number
  /** Clock time from start to result. */
  durationMs: number
  /** Disjoint paths the lookup ran (1: the classic lookup). */
  paths: number
  /**
   * Paths that were led away: they ended without a value, and the closest node they learned of
   * that answered is not among the k closest of the whole lookup (or none answered them).
   */
  ledAway: number[]
  /**
   * Distinct answers the holders gave to a value lookup (records by slot and seq; 1 when they all
   * agree, 0 when none held the key): more than 1 means some holder was stale or lying.
   */
  distinctValues: number
  /** Paths that converged without a holder's answer (all of them in a node lookup). */
  pathsWithoutValue: number
  /** Paths still running when a value lookup ended because its quorum of holders had answered. */
  pathsUnfinished: number
  /** Records in answers that failed their check (bad signature, wrong key, weak publisher), dropped. */
  invalidRecords: number
  /** Holders whose answer lacked the newest record of a slot, or had an older one. */
  staleAnswers: number
  /** STOREs a get sent to bring stale or empty holders among the k closest up to date (read repair). */
  repaired: number
  steps: TraceStep[]
}

/** The trace of a call that asked no one (a get answered from this node's own records). */
export function emptyTrace(target: Id): LookupTrace {
  const none = { rounds: 0, messages: 0, failures: 0, slowRequests: 0, nodesAsked: 0, weakIds: 0, durationMs: 0, invalidRecords: 0, staleAnswers: 0, repaired: 0 }
  return { target, ...none, paths: 0, ledAway: [], distinctValues: 0, pathsWithoutValue: 0, pathsUnfinished: 0, steps: [] }
}
