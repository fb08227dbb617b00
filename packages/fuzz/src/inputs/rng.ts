/**
 * The fuzzer's one source of randomness: the core's seeded sfc32 (`seededRandom`) with the few
 * helpers the input generators need. The same seed gives the same inputs, so a failure found at
 * one seed is found again by running that seed.
 */
import { type Random, seededRandom } from '@browser-dht/kademlia'

export class Rng {
  readonly #random: Random

  constructor(seed: number) {
    this.#random = seededRandom(seed)
  }

  /** The underlying `Random`, for code that takes one (nodes, transports). */
  get random(): Random {
    return this.#random
  }

  float(): number {
    return this.#random.float()
  }

  /** A whole number from 0 to `n` − 1. */
  int(n: number): number {
    return Math.floor(this.#random.float() * n)
  }

  /** A whole number from `min` to `max`, both included. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.#random.float() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  /**
   * `n` random bytes. Long arrays repeat a random 4 KiB block with a few bytes changed: what
   * matters past a few KiB is the length, and generating every byte would cost more than parsing.
   */
  bytes(n: number): Uint8Array {
    if (n <= 4096) return this.#random.bytes(n)
    const out = new Uint8Array(n)
    const block = this.#random.bytes(4096)
    for (let at = 0; at < n; at += 4096) out.set(n - at >= 4096 ? block : block.subarray(0, n - at), at)
    for (let i = 0; i < 16; i++) out[this.int(n)] = this.int(256)
    return out
  }
}
