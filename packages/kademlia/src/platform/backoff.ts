/**
 * The one backoff of the project (the signaling link's retries, the connection manager's
 * redials): the wait before trying again after `attempt` failures in a row is `baseMs` doubled
 * for each failure after the first, at most `maxMs`, times a factor drawn from [0.5, 1.5). The
 * draw spreads clients that failed together (every tab of a restarted signaling server) over a
 * second or more instead of bringing them back at one instant; on average the wait is the
 * undrawn one. Randomness is handed in, so tests can pin the factor (a `float()` of 0.5 gives 1).
 */
import type { Random } from './platform.ts'

export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
}

export function backoffMs(attempt: number, { baseMs, maxMs }: BackoffOptions, random: Pick<Random, 'float'>): number {
  const undrawn = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(undrawn * (0.5 + random.float()))
}
