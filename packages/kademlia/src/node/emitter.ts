/** A minimal typed event emitter (the core cannot use Node's or the DOM's); subclasses emit. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(name: E, listener: (event: Events[E]) => void): () => void {
    let set = this.#listeners.get(name)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(name, set)
    }
    set.add(listener as (event: never) => void)
    return () => this.off(name, listener)
  }

  off<E extends keyof Events>(name: E, listener: (event: Events[E]) => void): void {
    this.#listeners.get(name)?.delete(listener as (event: never) => void)
  }

  protected emit<E extends keyof Events>(name: E, event: Events[E]): void {
    const set = this.#listeners.get(name)
    if (set === undefined) return
    for (const listener of set) {
      try {
        ;(listener as (event: Events[E]) => void)(event)
      } catch {
        // A throwing listener must not break the emitter's owner; listeners own their errors.
      }
    }
  }
}
