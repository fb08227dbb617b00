import { compareDistance, type Id, idEquals } from '@browser-dht/kademlia'

/**
 * The true `k` closest of `ids` to `target`, by scanning them all (the benchmark's referee),
 * leaving out `except` (the asker, which a lookup never returns).
 */
export function trueClosest(ids: readonly Id[], target: Id, k: number, except?: Id): Id[] {
  const best: Id[] = []
  if (k <= 0) return best
  for (const id of ids) {
    if (except !== undefined && idEquals(id, except)) continue
    if (best.length === k && compareDistance(target, id, best[k - 1]!) >= 0) continue
    let at = best.length
    while (at > 0 && compareDistance(target, id, best[at - 1]!) < 0) at--
    best.splice(at, 0, id)
    if (best.length > k) best.pop()
  }
  return best
}
