/**
 * Registered node IDs and their connections, with O(1) register, unregister, lookup and
 * random sampling (IDs are kept in an array; removal swaps the last one into the gap).
 */
import type { Random } from '@browser-dht/kademlia'
import type { NodeIdHex } from '../protocol/frames.ts'

export class Registry<Connection> {
  readonly #byId = new Map<NodeIdHex, { connection: Connection; index: number }>()
  readonly #ids: NodeIdHex[] = []
  readonly #random: Random

  constructor(random: Random) {
    this.#random = random
  }

  get size(): number {
    return this.#ids.length
  }

  get(id: NodeIdHex): Connection | undefined {
    return this.#byId.get(id)?.connection
  }

  /** Registers `id` for `connection`; returns the connection it replaces, if any. */
  set(id: NodeIdHex, connection: Connection): Connection | undefined {
    const existing = this.#byId.get(id)
    if (existing) {
      const previous = existing.connection
      existing.connection = connection
      return previous
    }
    this.#byId.set(id, { connection, index: this.#ids.length })
    this.#ids.push(id)
    return undefined
  }

  /** Removes `id` if it is still held by `connection` (a replaced connection must not remove its successor). */
  delete(id: NodeIdHex, connection: Connection): void {
    const entry = this.#byId.get(id)
    if (!entry || entry.connection !== connection) return
    const last = this.#ids.pop()!
    if (last !== id) {
      this.#ids[entry.index] = last
      this.#byId.get(last)!.index = entry.index
    }
    this.#byId.delete(id)
  }

  /** Up to `count` distinct random registered IDs, never `except`. */
  sample(count: number, except: NodeIdHex): NodeIdHex[] {
    const candidates = this.#ids.length - (this.#byId.has(except) ? 1 : 0)
    const want = Math.min(count, candidates)
    const picked = new Set<NodeIdHex>()
    while (picked.size < want) {
      const id = this.#ids[Math.floor(this.#random.float() * this.#ids.length)]!
      if (id !== except) picked.add(id)
    }
    return [...picked]
  }
}
