/**
 * The bench:sim-churn scenario: what churn replication costs and whether records stay on their
 * true k closest while nodes leave.
 *
 * The network: `nodes` nodes join through random earlier ones; random publishers put `records`
 * values and stop republishing them (periodic replication, republish and bucket refresh are a day
 * away, so only churn replication restores a lost copy). Then one random live node fails every
 * `intervalMs` (`fails` of them; the nodes that had it in their table are told, as the WebRTC
 * transport does when a data channel closes), and the network settles for `settleMs` more.
 *
 * Requests are those every node sent from the first failure to the end, by type: all of them are
 * churn replication's lookups and STOREs, and the few pings of liveness. A lost copy is a record
 * a failed node held when it failed. Durability, at the end: the share of records every one of
 * whose true k closest live nodes (brute force) holds it, the true-closest copies missing, the
 * records no live node holds, and the share of gets (by a random live node each) that find them.
 *
 * Each setting runs on the same seeds, so the networks, records and failures are the same.
 */
import { keyOf, type KademliaNode, type Message, type Transport, type Tunables } from '@browser-dht/kademlia'
import { trueClosest } from '../brute-force.ts'
import { round } from '../stats.ts'
import { Testnet } from '../testnet.ts'

export interface ChurnBenchOptions {
  nodes: number
  records: number
  fails: number
  intervalMs: number
  settleMs: number
  k: number
  seed: number
  concurrency: number
  log: (line: string) => void
}

/** One setting measured on one seed. */
export interface ChurnFigures {
  setting: string
  seed: number
  lostCopies: number
  churnReplications: number
  /** Lookups churn passes made (0 when the node does not count them). */
  churnLookups: number
  requests: number
  findNodes: number
  stores: number
  otherRequests: number
  requestsPerReplication: number
  requestsPerLostCopy: number
  /** Records every one of whose true k closest live nodes holds it. */
  onTrueClosest: number
  /** Copies the true k closest of all records lack, summed. */
  missingCopies: number
  /** Records no live node holds. */
  valuesLost: number
  getSuccess: number
  wallSeconds: number
}

export interface ChurnSetting {
  name: string
  tunables: Partial<Tunables>
}

const DAY = 24 * 3_600_000

/** Counts the requests a node sends, by type. */
function counting(base: Transport, counts: Map<string, number>): Transport {
  return {
    send: (to, message: Message) => {
      if (message.type === 'PING' || message.type === 'FIND_NODE' || message.type === 'FIND_VALUE' || message.type === 'STORE') {
        counts.set(message.type, (counts.get(message.type) ?? 0) + 1)
      }
      base.send(to, message)
    },
    close: () => base.close(),
    listen: (handler) => base.listen(handler),
  }
}

export async function runChurnSetting(options: ChurnBenchOptions, setting: ChurnSetting, seed: number): Promise<ChurnFigures> {
  const started = performance.now()
  const counts = new Map<string, number>()
  const net = new Testnet({
    seed,
    k: options.k,
    joinConcurrency: options.concurrency,
    joinRefresh: false,
    replicateIntervalMs: DAY,
    republishIntervalMs: DAY,
    refreshIntervalMs: DAY,
    ...setting.tunables,
    transport: (base) => counting(base, counts),
  })
  await net.grow(options.nodes)
  const keys = Array.from({ length: options.records }, (_, i) => keyOf(`bench:sim-churn/${seed}/${i}`))
  for (let i = 0; i < keys.length; i += options.concurrency) {
    await net.run(
      Promise.all(
        keys.slice(i, i + options.concurrency).map(async (key, j) => {
          const publisher = net.pick()
          await publisher.put(key, new TextEncoder().encode(`value ${i + j}`))
          publisher.unpublish(key)
        }),
      ),
    )
  }
  await net.advance(options.settleMs)
  const before = new Map(counts)
  const replicationsBefore = sum(net.nodes, (node) => node.stats().churnReplications)
  const lookupsBefore = sum(net.nodes, churnLookupsOf)

  let lostCopies = 0
  for (let step = 0; step < options.fails; step++) {
    const victim = net.pick()
    const now = net.clock.now()
    lostCopies += keys.filter((key) => (victim.records.meta(key)?.expiresAt ?? 0) > now).length
    await net.fail(victim)
    for (const node of net.live()) if (node.table.has(victim.id)) node.forget(victim.id)
    await net.advance(options.intervalMs)
  }
  await net.advance(options.settleMs)

  const delta = (type: string): number => (counts.get(type) ?? 0) - (before.get(type) ?? 0)
  const requests = ['PING', 'FIND_NODE', 'FIND_VALUE', 'STORE'].reduce((total, type) => total + delta(type), 0)
  const byType = { findNodes: delta('FIND_NODE'), stores: delta('STORE'), otherRequests: delta('PING') + delta('FIND_VALUE') }
  const churnReplications = sum(net.nodes, (node) => node.stats().churnReplications) - replicationsBefore
  const churnLookups = sum(net.nodes, churnLookupsOf) - lookupsBefore

  const live = net.live()
  const liveIds = live.map((node) => node.id)
  const now = net.clock.now()
  let onTrueClosest = 0
  let missingCopies = 0
  let valuesLost = 0
  for (const key of keys) {
    const holds = (node: KademliaNode | undefined): boolean => (node?.records.meta(key)?.expiresAt ?? 0) > now
    const missing = trueClosest(liveIds, key, options.k).filter((id) => !holds(net.node(id))).length
    missingCopies += missing
    if (missing === 0) onTrueClosest++
    if (!live.some(holds)) valuesLost++
  }
  let found = 0
  for (let i = 0; i < keys.length; i += options.concurrency) {
    const results = await net.run(Promise.all(keys.slice(i, i + options.concurrency).map((key) => net.pick().get(key).catch(() => undefined))))
    found += results.filter((result) => result?.value !== undefined).length
  }
  await net.stop()
  return {
    setting: setting.name,
    seed,
    lostCopies,
    churnReplications,
    churnLookups,
    requests,
    ...byType,
    requestsPerReplication: round(requests / Math.max(1, churnReplications), 2),
    requestsPerLostCopy: round(requests / Math.max(1, lostCopies), 2),
    onTrueClosest: round(onTrueClosest / keys.length, 4),
    missingCopies,
    valuesLost,
    getSuccess: round(found / keys.length, 4),
    wallSeconds: round((performance.now() - started) / 1000, 1),
  }
}

/** The node's churn lookups, where its stats count them. */
function churnLookupsOf(node: KademliaNode): number {
  return (node.stats() as { churnLookups?: number }).churnLookups ?? 0
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0)
}
