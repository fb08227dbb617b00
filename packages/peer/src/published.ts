/**
 * The records this peer published itself, kept in its `PublishedStore` so they are announced
 * again after a restart exactly as signed (the peer never signs an old value anew). Each one read
 * back is checked as a holder would check it; one that does not prove itself is dropped.
 */
import { checkRecord, decodeStoredSet, encodeStoredSet, type Id, type KademliaNode, type Published, toHex, type Verify } from '@browser-dht/kademlia'
import type { PublishedEntry, PublishedStore } from './store.ts'

export class PublishedRecords {
  readonly #store: PublishedStore
  readonly #node: KademliaNode
  readonly #verify: Verify
  readonly #now: () => number
  /** Entries as stored, by key hex (for their names). */
  readonly #entries = new Map<string, PublishedEntry>()

  constructor(init: { store: PublishedStore; node: KademliaNode; verify: Verify; now: () => number }) {
    this.#store = init.store
    this.#node = init.node
    this.#verify = init.verify
    this.#now = init.now
  }

  /** The name a published key was put under, when known. */
  nameOf(key: Id): string | undefined {
    return this.#entries.get(toHex(key))?.name
  }

  /** Reads the stored entries back into the node (to be republished once it has joined); returns how many were dropped. */
  async load(): Promise<{ loaded: number; dropped: number }> {
    const { maxValueBytes, idPuzzleBits } = this.#node.options
    let loaded = 0
    let dropped = 0
    for (const entry of await this.#store.published()) {
      const [stored] = decodeStoredSet(entry.value, maxValueBytes) ?? []
      const proven = stored !== undefined && (await checkRecord(entry.key, stored.record, { verify: this.#verify, maxValueBytes, puzzleBits: idPuzzleBits })).ok
      if (!proven) {
        dropped++
        await this.#store.deletePublished(entry.key)
        continue
      }
      this.#node.adoptPublished({ key: entry.key, record: stored.record, ttlMs: entry.ttlMs })
      this.#entries.set(toHex(entry.key), entry)
      loaded++
    }
    return { loaded, dropped }
  }

  /** Keeps a record just (re)published, with the name it was put under (or the one it had). */
  async save(published: Published, name?: string): Promise<void> {
    const expiresAt = this.#now() + published.ttlMs
    const value = encodeStoredSet([{ record: published.record, expiresAt }])
    const entry: PublishedEntry = { key: published.key, value, ttlMs: published.ttlMs, expiresAt, name: name ?? this.nameOf(published.key) }
    this.#entries.set(toHex(published.key), entry)
    await this.#store.savePublished(entry)
  }

  async delete(key: Id): Promise<void> {
    this.#entries.delete(toHex(key))
    await this.#store.deletePublished(key)
  }

  /** Announces every record this node published again; returns how many reached a holder. */
  async republishAll(): Promise<number> {
    let republished = 0
    for (const published of this.#node.published()) {
      const ok = await this.#node.republish(published).then(
        () => true,
        () => false,
      )
      if (!ok) continue
      republished++
      await this.save(published)
    }
    return republished
  }
}
