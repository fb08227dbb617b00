/**
 * Where to send a relay next. A node with no open channel to the target passes the frame to one
 * of its open channels, the first that applies of:
 *
 * 1. for a request this node starts: a peer whose NEIGHBOURS list names the target, unless a
 *    request through that listing is unanswered (neighbours.ts; relays.ts asks it first): that
 *    peer has an open channel to the target and hands the frame over on the next hop;
 * 2. a reverse hint: the peer that last brought this node an authenticated relay from the target:
 *    one addressed to this node (MAC'd or signed), or one it passed on that brought a new presence
 *    of its origin (a node on the way cannot check a MAC, but can check the presence: presence.ts).
 *    Following them retraces a path a frame just took the other way, so answers find their way back;
 * 3. a referral hint: the peer whose NODES answer (authenticated) named the target (at the
 *    origin; in the middle of a path only if it is closer to the target than this node);
 * 4. the connected peer closest to the target by XOR (in the middle of a path only if it is
 *    strictly closer to the target than this node, else there is no route).
 *
 * Step 1 ends the path on the next hop while the list holds, steps 3 and 4 always make progress
 * toward the target and step 2 follows a path that existed a moment ago; a node passes each frame
 * on at most once (relays.ts) and the hop limit ends any path that still wanders. A hint or a
 * listing whose relay comes back UNDELIVERABLE is forgotten (relays.ts).
 */
import { BoundedMap, compareDistance, type Id, idEquals, idKey } from '@browser-dht/kademlia'

export type HintKind = 'reverse' | 'referral'

export interface Hint {
  via: Id
  kind: HintKind
  /** Reverse hints: the seq of the relay that taught it, which a reply names as `replyTo`. */
  seq?: number
}

/**
 * The most recent hint per target, least recently learned forgotten first beyond `capacity`. A
 * referral never replaces a reverse hint: a path that worked beats a name in an answer.
 */
export class RouteHints {
  readonly #via: BoundedMap<Hint>

  constructor(capacity: number) {
    this.#via = new BoundedMap(capacity)
  }

  get size(): number {
    return this.#via.size
  }

  /**
   * `via` (a peer with an open channel) leads toward `target`. `seq` names the relay from `target`
   * to this node that taught a reverse hint (a relay from this node to `target` names it as its
   * replyTo, so the nodes on the way can retrace that path); a reverse hint learned on the way,
   * from a signed relay to someone else, has none. The newest reverse hint wins.
   */
  learn(target: Id, via: Id, kind: HintKind, seq?: number): void {
    if (idEquals(target, via)) return
    const key = idKey(target)
    const known = this.#via.get(key)
    if (known?.kind === 'reverse' && kind === 'referral') return
    this.#via.remember(key, seq === undefined ? { via, kind } : { via, kind, seq })
  }

  get(target: Id): Hint | undefined {
    return this.#via.get(idKey(target))
  }

  /** Forgets the hint for `target` if it leads through `via` (a relay that way did not get through); true if it did. */
  forget(target: Id, via: Id): boolean {
    const key = idKey(target)
    const known = this.#via.get(key)
    if (known === undefined || !idEquals(known.via, via)) return false
    this.#via.take(key)
    return true
  }
}

export interface HopQuery {
  self: Id
  target: Id
  /** Peers with an open data channel. */
  open: readonly Id[]
  hint?: Hint | undefined
  /** The peer the frame came from: never sent back there. */
  from?: Id | undefined
  /** In the middle of a path: a greedy hop must be strictly closer to the target than `self`. */
  requireCloser: boolean
}

/** The peer to send a relay for `target` to next, or undefined when there is none. */
export function nextHop(query: HopQuery): Id | undefined {
  const { self, target, open, hint, from, requireCloser } = query
  const allowed = (id: Id): boolean => from === undefined || !idEquals(id, from)
  if (hint !== undefined && allowed(hint.via) && open.some((id) => idEquals(id, hint.via))) {
    const progress = hint.kind === 'reverse' || !requireCloser || compareDistance(target, hint.via, self) < 0
    if (progress) return hint.via
  }
  let best: Id | undefined
  for (const id of open) {
    if (!allowed(id)) continue
    if (best === undefined || compareDistance(target, id, best) < 0) best = id
  }
  if (best === undefined) return undefined
  if (requireCloser && compareDistance(target, best, self) >= 0) return undefined
  return best
}
