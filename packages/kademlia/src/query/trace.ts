import type { Id } from '../keyspace/id.ts'

export type StepOutcome = 'answered' | 'value' | 'failed'

/** One request a lookup made. */
export interface TraceStep {
  peer: Id
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
  /** Distinct peers asked. */
  nodesAsked: number
  /** Contacts named in answers that failed the ID puzzle (`idPuzzleBits`) and were dropped. */
  weakIds: number
  /** Clock time from start to result. */
  durationMs: number
  steps: TraceStep[]
}
