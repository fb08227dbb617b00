/** What the transport reports, and a minimal typed emitter (no Node or DOM dependency). */
import type { Id } from '@browser-dht/kademlia'
import type { CloseReason } from './stats.ts'

export interface TransportEvents {
  /** A data channel to `id` opened. `connectMs`: from creating the connection to open. */
  'peer:connected': { id: Id; initiator: boolean; connectMs: number }
  /** An open connection to `id` closed; everything about it has been dropped. */
  'peer:disconnected': { id: Id; reason: CloseReason }
  /** A connection to `id` was given up before it opened; `queuedDropped` messages were lost. */
  'connect:failed': { id: Id; reason: CloseReason; queuedDropped: number }
}

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
    return () => set.delete(listener as (event: never) => void)
  }

  protected emit<E extends keyof Events>(name: E, event: Events[E]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        ;(listener as (event: Events[E]) => void)(event)
      } catch {
        // A throwing listener must not break the transport; listeners own their errors.
      }
    }
  }
}
