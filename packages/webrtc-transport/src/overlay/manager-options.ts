/**
 * The connection manager's tunables, each with its default and what it may be, in one table
 * (the core's `OptionTable`, as the transport's own options.ts). `resolveManagerTunables` is what
 * the manager starts from, and what `createPeer` checks before it makes anything.
 */
import { checkOptions, defaultsOf, kindsOf, option, type OptionKind, type OptionTable, withDefaults } from '@browser-dht/kademlia'
import { TransportError, TransportErrorCode } from '../errors.ts'

const SECOND = 1000
const { nonNegative, nonNegativeInteger, positive, positiveInteger } = option
/** A share: a number above 0 and at most 1. */
const share: OptionKind = { type: 'number', min: 0, max: 1, aboveMin: true }

const MANAGER_TUNABLES = {
  /** Closest contacts a node keeps connections to, when its budget allows. */
  neighbours: [6, nonNegativeInteger],
  /**
   * Share of the budget the wanted set fills (at least one connection less than the budget).
   * Half: every node's wanted peers are peers other nodes want too, so on average a node holds
   * its own half and half of others' wants, and the budget is not oversubscribed (which would
   * make nodes refuse and evict each other in circles, creating connections without end).
   */
  wantedShare: [0.5, share],
  /** The wanted set is recomputed and missing connections dialed this often. */
  intervalMs: [2 * SECOND, positive],
  /**
   * A pass that finds nothing to do (every wanted peer connected, the wanted set as before) makes
   * the next wait twice as long, up to this (at least `intervalMs`); a connection that opens,
   * closes or fails brings it back to `intervalMs`. An idle node then recomputes its wanted set
   * twice a minute, not thirty times (200 idle peers in one process spent about 2 % of a core on it).
   */
  quietIntervalMs: [30 * SECOND, positive],
  /** Connections this manager has dialing at once. */
  maxDialing: [3, positiveInteger],
  /**
   * A peer that refused, failed to connect, or closed on this node to make room is left alone about
   * this long; each further failure in a row doubles it, up to `maxRetryAfterMs` (the core's
   * `backoffMs`: each wait drawn from 0.5–1.5 times its value).
   */
  retryAfterMs: [60 * SECOND, nonNegative],
  /** The longest a peer is left alone after failures in a row (at least `retryAfterMs`). */
  maxRetryAfterMs: [30 * 60 * SECOND, nonNegative],
} as const satisfies OptionTable

export const MANAGER_DEFAULTS: { readonly [K in keyof typeof MANAGER_TUNABLES]: number } = defaultsOf(MANAGER_TUNABLES)

export type ManagerTunables = { -readonly [K in keyof typeof MANAGER_TUNABLES]: number }

const KINDS: { readonly [K in keyof ManagerTunables]: OptionKind } = kindsOf(MANAGER_TUNABLES)

/**
 * The tunables with their defaults filled in (an undefined one takes its default); a tunable
 * outside its range, or a pair out of order, is ERR_INVALID_OPTION.
 */
export function resolveManagerTunables(options: Partial<ManagerTunables>): ManagerTunables {
  const resolved = withDefaults<ManagerTunables>({ ...MANAGER_DEFAULTS }, options)
  const invalid = (message: string): TransportError => new TransportError(TransportErrorCode.INVALID_OPTION, message)
  checkOptions(resolved, KINDS, invalid)
  const { intervalMs, quietIntervalMs, retryAfterMs, maxRetryAfterMs } = resolved
  if (quietIntervalMs < intervalMs) throw invalid(`quietIntervalMs must be at least intervalMs (${intervalMs}), not ${quietIntervalMs}`)
  if (maxRetryAfterMs < retryAfterMs) throw invalid(`maxRetryAfterMs must be at least retryAfterMs (${retryAfterMs}), not ${maxRetryAfterMs}`)
  return resolved
}
