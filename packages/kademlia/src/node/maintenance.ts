/**
 * What keeps the table and the records healthy over time: bucket refresh, replication by holders,
 * republish by the original publisher, expiry, and handing records to a node that joins close to
 * them. Every interval is an option, so tests run an hour of maintenance in a virtual second.
 */
import { compareDistance, type Id, idEquals } from '../keyspace/id.ts'
import type { Clock, Random } from '../platform/platform.ts'
import type { RecordMeta } from '../records/records.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { KademliaNode } from './node.ts'
import { Periodic } from './timers.ts'

export class Maintenance {
  readonly #node: KademliaNode
  readonly #timers: Periodic[]
  #lastReplicate: number

  constructor(node: KademliaNode, clock: Clock, random: Random) {
    this.#node = node
    this.#lastReplicate = clock.now()
    const o = node.options
    this.#timers = [
      new Periodic(clock, random, o.refreshIntervalMs, () => node.refreshBuckets(o.refreshIntervalMs)),
      new Periodic(clock, random, o.replicateIntervalMs, () => this.replicate()),
      new Periodic(clock, random, o.republishIntervalMs, () => this.republish()),
      new Periodic(clock, random, o.expireIntervalMs, () => node.records.expire(node.now())),
    ]
  }

  start(): void {
    for (const timer of this.#timers) timer.start()
  }

  stop(): void {
    for (const timer of this.#timers) timer.stop()
  }

  /**
   * One replication pass: every record this node holds is stored again on the current k closest
   * nodes, with its remaining TTL (replication never extends a record's life). A record that
   * another holder replicated to us since our last pass is skipped: that holder did the work.
   */
  async replicate(): Promise<void> {
    const node = this.#node
    const since = this.#lastReplicate
    this.#lastReplicate = node.now()
    const due = node.records.metas(node.now()).filter((meta) => meta.replicatedAt <= since)
    await forEachLimit(due, node.options.replicateConcurrency, (meta) => this.#replicateOne(meta))
  }

  async #replicateOne(meta: RecordMeta): Promise<void> {
    const node = this.#node
    const record = await node.records.read(meta.key, node.now())
    if (record === undefined) return
    const { closest } = await node.findNode(meta.key)
    await node.storeAt(closest, meta.key, record.value, record.ttlMs, 'replicate')
  }

  /** The original publisher stores each of its records again with a fresh TTL. */
  async republish(): Promise<void> {
    const node = this.#node
    await forEachLimit(node.published(), node.options.replicateConcurrency, async ({ key, value, ttlMs }) => {
      await node.put(key, value, { ttlMs }).catch(() => undefined)
    })
  }

  /**
   * A node we had not known joined: hand it the records it is now among the k closest for. Only
   * the closest holder we know of sends, so the newcomer gets one copy, not k.
   */
  handOff(peer: Id): void {
    const node = this.#node
    const { k } = node.options
    const notPeer = (contact: Contact): boolean => idEquals(contact.id, peer)
    for (const meta of node.records.metas(node.now())) {
      // Cheap test first: is any other contact closer to the key than we are? (One bucket scan.)
      const [nearestOther] = node.table.closest(meta.key, 1, notPeer)
      if (nearestOther !== undefined && compareDistance(meta.key, nearestOther, node.id) < 0) continue
      if (!node.table.closest(meta.key, k).some((id) => idEquals(id, peer))) continue
      void node.records.read(meta.key, node.now()).then((record) => {
        if (record !== undefined) void node.storeAt([peer], meta.key, record.value, record.ttlMs, 'replicate')
      })
    }
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!
      await task(item).catch(() => undefined)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}
