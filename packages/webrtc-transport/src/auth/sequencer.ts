/**
 * Sequence numbers that are also times. Everything a node authenticates (signed signals, relayed
 * DHT messages) carries one: microseconds since 1970 by the node's clock, strictly increasing
 * across everything the node sends, even when the clock stands still or steps back. Receivers
 * use it twice: as a time (a message too far from their own clock is refused) and as a rising
 * counter (`ReplayWindows` remembers which of a sender's numbers it has seen). A reloaded tab
 * keeps its identity and its numbers keep rising, because they follow the clock.
 */
import type { Clock } from '@browser-dht/kademlia'

export class Sequencer {
  readonly #clock: Clock
  #last = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  next(): number {
    this.#last = Math.max(this.#last + 1, Math.floor(this.#clock.now() * 1000))
    return this.#last
  }
}

/** The sender's clock, in ms, when it made `seq`. */
export function seqTimeMs(seq: number): number {
  return seq / 1000
}
