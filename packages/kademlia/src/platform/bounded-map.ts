/**
 * A map that forgets its oldest entries beyond `capacity`: the one bounded map behind the
 * transport's route hints, relays awaiting a possible retry and seen signals, and the core's
 * remembered ID puzzle checks.
 */
export class BoundedMap<V> {
  readonly #entries = new Map<string, V>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  remember(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!)
  }

  get(key: string): V | undefined {
    return this.#entries.get(key)
  }

  /** The value under `key`, removed. */
  take(key: string): V | undefined {
    const value = this.#entries.get(key)
    this.#entries.delete(key)
    return value
  }
}
