/**
 * Registered node IDs and their connections: O(1) register, unregister and lookup. Whom to
 * introduce a node to is `introductions.ts`'s concern; the registry keeps it in step.
 */
import type { NodeIdHex } from '../protocol/frames.ts'
import { Introductions, type IntroductionsInit } from './introductions.ts'

export class Registry<Connection> {
  readonly #byId = new Map<NodeIdHex, Connection>()
  readonly #introductions: Introductions

  constructor(init: IntroductionsInit) {
    this.#introductions = new Introductions(init)
  }

  get size(): number {
    return this.#byId.size
  }

  get(id: NodeIdHex): Connection | undefined {
    return this.#byId.get(id)
  }

  /**
   * Registers `id` for `connection`, from `network` (its client's /24 or /48); returns the
   * connection it replaces, if any. The ID counts as registered now, also when it replaces one.
   */
  set(id: NodeIdHex, connection: Connection, network: string): Connection | undefined {
    const previous = this.#byId.get(id)
    this.#byId.set(id, connection)
    this.#introductions.add(id, network)
    return previous
  }

  /** Removes `id` if it is still held by `connection` (a replaced connection must not remove its successor). */
  delete(id: NodeIdHex, connection: Connection): void {
    if (this.#byId.get(id) !== connection) return
    this.#byId.delete(id)
    this.#introductions.remove(id)
  }

  /** Up to `count` distinct registered IDs, never `except`, to introduce `except` to (`introductions.ts`). */
  sample(count: number, except: NodeIdHex): NodeIdHex[] {
    return this.#introductions.sample(count, except)
  }
}
