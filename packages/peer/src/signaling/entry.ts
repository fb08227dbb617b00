/**
 * How a node enters the overlay through the peers its signaling servers name: tell the transport
 * which server knows them (so its first signals go there), then bootstrap through them. A node
 * already in the network enters again through another server's peers too (when it has several
 * servers): that is what merges the overlays of different servers into one. A newcomer has joined
 * once its own lookup is done (it knows its neighbours and can put and get, as bittorrent-dht is
 * `ready` after its own); the refresh of its farther buckets goes on after that. Used by browser
 * tabs and Node peers alike.
 */
import { type Id, idFromHex, type KademliaNode } from '@browser-dht/kademlia'
import type { ClientSignaler } from './client-signaler.ts'
import type { SignalingLink } from './signaling-link.ts'

export interface EntryOptions {
  node: KademliaNode
  /** The transport's `introduce`: these nodes are reachable through this server. */
  introduce: (ids: readonly Id[], signaler: ClientSignaler) => void
  /** After every successful entry. */
  joined?: () => void | Promise<void>
  /** No named peer answered. */
  failed?: (peers: number) => void
}

export class Entry {
  readonly #o: EntryOptions
  #joining = false
  /** The last peers a server named were all in the routing table already. */
  #nothingNew = false

  constructor(options: EntryOptions) {
    this.#o = options
  }

  get joining(): boolean {
    return this.#joining
  }

  /** Enters through `peers` (hex IDs a server named) unless they are all known already. */
  async through(peers: readonly string[], signaler: ClientSignaler): Promise<void> {
    const { node } = this.#o
    const ids: Id[] = []
    for (const hex of peers) {
      try {
        ids.push(idFromHex(hex))
      } catch {
        // The server checked them; a bad one is skipped all the same.
      }
    }
    this.#o.introduce(ids, signaler)
    const fresh = ids.filter((id) => !node.table.has(id))
    this.#nothingNew = fresh.length === 0
    if (fresh.length === 0 || this.#joining) return
    this.#joining = true
    try {
      const newcomer = node.table.size === 0
      await node.bootstrap(fresh, { refreshBuckets: false })
      await this.#o.joined?.()
      if (newcomer) void node.fillBuckets().catch(() => undefined)
    } catch {
      this.#o.failed?.(fresh.length)
    } finally {
      this.#joining = false
    }
  }

  /**
   * With fewer than k contacts, asks every server for peers again and enters through those it
   * does not know. A node learns contacts only from nodes it heard from itself, so one that joined
   * while every peer's connection budget was full can be left with a contact or two and nothing
   * that would ever add more; this is what brings it the rest. Once a server named nobody new (a
   * network smaller than k + 1), it asks again only with an empty table: a node that joins later
   * is introduced to it and gets in touch itself.
   */
  async again(links: readonly SignalingLink[]): Promise<void> {
    const { node } = this.#o
    for (const link of links) {
      const size = node.table.size
      if (this.#joining || size >= node.options.k || (size > 0 && this.#nothingNew)) return
      await this.through(await link.requestPeers(), link.signaler)
    }
  }
}
