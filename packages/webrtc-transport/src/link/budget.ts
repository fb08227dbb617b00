/**
 * The connection budget policy: at most `maxConnections` peer connections (connecting or open)
 * at once. When a new one is needed and the budget is full, one connection is closed to make
 * room, else the new one is refused (an outgoing message is dropped as `budget-full`, an incoming
 * offer is answered with `refuse`).
 *
 * - With a connection policy (a `ConnectionManager` naming the peers it wants), wanted
 *   connections are never closed to make room. For a connection this node dials: the least
 *   recently used unwanted one, once it is `minConnectionAgeMs` old (so a newcomer's first
 *   connection is not closed again at once). For a connection offered to this node: only an
 *   unwanted idle one. So an offer never sets off a chain of evictions (each closed peer dialing
 *   someone else, who closes another...), and the peers a node dials are at most its wanted set.
 * - Without one: the least recently used idle connection. Busy connections are never closed, so
 *   a burst of new peers cannot tear down the ones the node is talking to.
 */
import type { Link } from './link.ts'

export interface VictimRules {
  now: number
  /** Set when a connection policy decides; undefined: only idle connections may go. */
  wanted?: ((link: Link) => boolean) | undefined
  minConnectionAgeMs: number
  /** The new connection is one a peer offered (not one this node dials). */
  incoming: boolean
}

/** The connection to close to make room, or undefined when none may go. */
export function budgetVictim(links: Iterable<Link>, rules: VictimRules): Link | undefined {
  const { now, wanted, minConnectionAgeMs, incoming } = rules
  const may =
    wanted === undefined
      ? (link: Link): boolean => link.isIdle(now)
      : incoming
        ? (link: Link): boolean => !wanted(link) && link.isIdle(now)
        : (link: Link): boolean => !wanted(link) && now - link.createdAt >= minConnectionAgeMs
  let victim: Link | undefined
  for (const link of links) {
    if (may(link) && (victim === undefined || link.lastUsed < victim.lastUsed)) victim = link
  }
  return victim
}
