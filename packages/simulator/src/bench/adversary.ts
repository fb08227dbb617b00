/**
 * The adversary of bench:sybil. Its nodes run the ordinary node code to join (so they sit in
 * honest routing tables like anyone else), and once `Adversary.attacking` is set their transport
 * answers for them: PING as usual, every FIND_NODE / FIND_VALUE with the adversarial IDs closest to
 * the target (each other's, never a value), every STORE with STORED while keeping nothing.
 */
import { compareBytes, compareDistance, type Id, idEquals, type Message, toHex, type Transport } from '@browser-dht/kademlia'

/**
 * `base`, except that a message for which `answer` returns a reply is answered with it instead of
 * reaching the node: how a malicious node's transport speaks for it.
 */
export function answering(base: Transport, answer: (message: Message) => Message | undefined): Transport {
  return {
    send: (to, message) => base.send(to, message),
    close: () => base.close(),
    listen: (handler) =>
      base.listen({
        ...handler,
        onMessage: (from, message) => {
          const reply = answer(message)
          if (reply === undefined) handler.onMessage(from, message)
          else base.send(from, reply)
        },
      }),
  }
}

/** The adversarial IDs, sorted, for "the n closest to a target" in O(log N + n log n). */
export class AdversaryIndex {
  readonly #sorted: Id[]

  constructor(ids: readonly Id[]) {
    this.#sorted = [...ids].sort(compareBytes)
  }

  get size(): number {
    return this.#sorted.length
  }

  /**
   * The `n` IDs closest to `target` by XOR, closest first. The IDs sharing at least p leading bits
   * with the target are one range of the sorted list and all closer than the rest, so the answer
   * lies in the narrowest such range that still holds n.
   */
  closest(target: Id, n: number): Id[] {
    let lo = 0
    let hi = 160
    // The longest prefix p (binary search) whose range holds at least n IDs.
    while (lo < hi) {
      const p = (lo + hi + 1) >> 1
      if (this.#range(target, p).length >= n) lo = p
      else hi = p - 1
    }
    return this.#range(target, lo)
      .sort((a, b) => compareDistance(target, a, b))
      .slice(0, n)
  }

  /** The IDs that share the first `p` bits with `target`. */
  #range(target: Id, p: number): Id[] {
    const low = Uint8Array.from(target)
    const high = Uint8Array.from(target)
    for (let bit = p; bit < 160; bit++) {
      const mask = 0x80 >> (bit & 7)
      low[bit >> 3]! &= ~mask
      high[bit >> 3]! |= mask
    }
    return this.#sorted.slice(this.#bound(low, false), this.#bound(high, true))
  }

  /** The first index whose ID is ≥ `id` (or > `id` when `after`). */
  #bound(id: Id, after: boolean): number {
    const sorted = this.#sorted
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const order = compareBytes(sorted[mid]!, id)
      if (order < 0 || (after && order === 0)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export class Adversary {
  /** Adversarial node IDs, in hex. */
  readonly members = new Set<string>()
  /** Off while the network is built: until then the adversarial nodes behave. */
  attacking = false
  #index: AdversaryIndex | undefined

  /** Freezes the member list into the index the attack answers from, and starts the attack. */
  attack(ids: readonly Id[]): void {
    this.#index = new AdversaryIndex(ids)
    this.attacking = true
  }

  /** The transport of node `id`: itself for an honest node, an attacker's for a member. */
  wrap(transport: Transport, id: Id): Transport {
    if (!this.members.has(toHex(id))) return transport
    return answering(transport, (message) => (this.attacking ? this.#answer(id, message) : undefined))
  }

  #answer(self: Id, message: Message): Message | undefined {
    switch (message.type) {
      case 'FIND_NODE':
      case 'FIND_VALUE': {
        const target = message.type === 'FIND_NODE' ? message.target : message.key
        const nodes = this.#index!.closest(target, message.count + 1).filter((id) => !idEquals(id, self))
        return { type: 'NODES', rid: message.rid, nodes: nodes.slice(0, message.count) }
      }
      case 'STORE':
        return { type: 'STORED', rid: message.rid, nodes: [] }
      default:
        return undefined
    }
  }
}
