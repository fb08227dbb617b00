/**
 * The connection budget policy: at most `maxConnections` peer connections (connecting or open)
 * at once. When a new one is needed and the budget is full, the least recently used idle
 * connection is closed to make room; when none is idle, the new connection is refused (an
 * outgoing message is dropped as `budget-full`, an incoming offer is answered with `refuse`).
 * Busy connections are never closed to make room, so a burst of new peers cannot tear down the
 * ones the node is talking to.
 */
import type { Link } from './link.ts'

/** The least recently used idle link, or undefined when none is idle. */
export function idleVictim(links: Iterable<Link>, now: number): Link | undefined {
  let victim: Link | undefined
  for (const link of links) {
    if (link.isIdle(now) && (victim === undefined || link.lastUsed < victim.lastUsed)) victim = link
  }
  return victim
}
