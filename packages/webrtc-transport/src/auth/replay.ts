/**
 * Replay protection kept per sender, so that no sender can push another's history out. For each
 * sender it remembers the last `perSender` sequence numbers it admitted and a floor below which
 * everything is refused (raised whenever the oldest remembered number is forgotten). A number is
 * fresh when it is above the floor and not remembered. Up to `senders` senders are remembered,
 * least recently heard forgotten first; a forgotten sender's old messages are still refused by
 * their age (`maxAuthAgeMs`), so flushing this table takes that many authenticated identities,
 * each of which solved the ID puzzle, and buys at most one replay of a message younger than that.
 *
 * Check with `fresh` before the expensive verification (so junk costs nothing), and `admit`
 * only what verified (so junk cannot poison a sender's window).
 */
import { BoundedMap } from '@browser-dht/kademlia'

interface SenderWindow {
  floor: number
  readonly seen: Set<number>
}

export class ReplayWindows {
  readonly #senders: BoundedMap<SenderWindow>
  readonly #perSender: number

  constructor(senders: number, perSender: number) {
    this.#senders = new BoundedMap(senders)
    this.#perSender = perSender
  }

  get size(): number {
    return this.#senders.size
  }

  /** True when `seq` from `sender` (a map key, e.g. its ID in hex) has not been admitted. */
  fresh(sender: string, seq: number): boolean {
    const window = this.#senders.get(sender)
    return window === undefined || (seq > window.floor && !window.seen.has(seq))
  }

  /** Admits `seq` from `sender`; false when it is not fresh (a replay). */
  admit(sender: string, seq: number): boolean {
    if (!this.fresh(sender, seq)) return false
    const window = this.#senders.get(sender) ?? { floor: 0, seen: new Set<number>() }
    window.seen.add(seq)
    if (window.seen.size > this.#perSender) {
      let oldest = seq
      for (const seen of window.seen) oldest = Math.min(oldest, seen)
      window.seen.delete(oldest)
      window.floor = Math.max(window.floor, oldest)
    }
    this.#senders.remember(sender, window)
    return true
  }
}
