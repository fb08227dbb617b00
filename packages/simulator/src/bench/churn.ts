/**
 * The bench:sim-churn scenario: what churn replication costs and whether records stay on their
 * true k closest while nodes leave.
 *
 * The network: `nodes` nodes join through random earlier ones; random publishers put `records`
 * values and stop republishing them (periodic replication, republish and bucket refresh are a day
 * away, so only churn replication restores a lost copy). Then one random live node fails every
 * `intervalMs` (`fails` of them; the nodes that had it in their table are told, as the WebRTC
 * transport does when a data channel closes) and a new node joins in its place (with `joins`),
 * and the network settles for `settleMs` more.
 *
 * Requests are those every node sent from the first failure to the end, by type, but for a
 * joining node's own requests until it has joined (counted apart): churn replication's lookups
 * and STOREs, hand-offs to the newcomers, and the few pings of liveness. A lost copy is a record
 * a failed node held when it failed. Durability, at the end: the share of records every one of
 * whose true k closest live nodes (brute force) holds it, the true-closest copies missing, the
 * records no live node holds, and the share of gets (by a random live node each) that find them.
 *
 * Each setting runs on the same seeds, so the networks and records are the same, and the failures
 * too as far as real time lets them be (signing and checking take real time, and a virtual clock
 * that runs on meanwhile times STOREs out: some puts fail, and runs of one seed differ a little).
 */
import { keyOf, type KademliaNode, lazyVerify, type Message, toHex, type Transport, type Tunables } from '@browser-dht/kademlia'
import { trueClosest } from '../brute-force.ts'
import { round } from '../stats.ts'
import { puzzleId, Testnet } from '../testnet.ts'

export interface ChurnBenchOptions {
  nodes: number
  records: number
  fails: number
  intervalMs: number
  settleMs: number
  /** A new node joins after each failure, so the network keeps its size. */
  joins: boolean
  k: number
  seed: number
  concurrency: number
  log: (line: string) => void
}

/** One setting measured on one seed. */
export interface ChurnFigures {
  setting: string
  seed: number
  /** Puts that failed before the churn (their records are left out). */
  failedPuts: number
  lostCopies: number
  churnReplications: number
  /** Of those, the ones that fell back to a lookup that stores (`storeAround`). */
  churnLookups: number
  requests: number
  findNodes: number
  stores: number
  otherRequests: number
  /** Requests the newcomers sent to join (not in `requests`). */
  joinRequests: number
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

/** Counts the requests a node sends, by type (`JOIN` for all of a node's own while `joining` says it is joining). */
function counting(base: Transport, counts: Map<string, number>, joining: () => boolean): Transport {
  return {
    send: (to, message: Message) => {
      if (message.type === 'PING' || message.type === 'FIND_NODE' || message.type === 'FIND_VALUE' || message.type === 'STORE') {
        const type = joining() ? 'JOIN' : message.type
        counts.set(type, (counts.get(type) ?? 0) + 1)
      }
      base.send(to, message)
    },
    close: () => base.close(),
    listen: (handler) => base.listen(handler),
  }
}

export async function runChurnSetting(options: ChurnBenchOptions, setting: ChurnSetting, seed: number): Promise<ChurnFigures> {
  const started = performance.now()
  // The nodes check signatures with the lazily imported noble: a first import in the middle of
  // the puts takes real time, during which the virtual clock runs on and STOREs time out.
  await Promise.resolve(lazyVerify(new Uint8Array(64), new Uint8Array(0), new Uint8Array(32))).catch(() => false)
  const counts = new Map<string, number>()
  const joining = new Set<string>()
  const net = new Testnet({
    seed,
    k: options.k,
    joinConcurrency: options.concurrency,
    joinRefresh: false,
    replicateIntervalMs: DAY,
    republishIntervalMs: DAY,
    refreshIntervalMs: DAY,
    ...setting.tunables,
    transport: (base, id) => counting(base, counts, () => joining.has(toHex(id))),
  })
  await net.grow(options.nodes)
  const all = Array.from({ length: options.records }, (_, i) => keyOf(`bench:sim-churn/${seed}/${i}`))
  const keys: typeof all = []
  // Some puts fail with ERR_TIMEOUT, not the same ones from run to run of a seed: signing and
  // checking records take real time, during which the virtual clock may run on to a STORE's
  // timeout. They are counted and their records left out.
  for (let i = 0; i < all.length; i += options.concurrency) {
    await net.run(
      Promise.all(
        all.slice(i, i + options.concurrency).map(async (key, j) => {
          const publisher = net.pick()
          const put = await publisher.put(key, new TextEncoder().encode(`value ${i + j}`)).catch(() => undefined)
          publisher.unpublish(key)
          if (put !== undefined) keys.push(key)
        }),
      ),
    )
  }
  await net.advance(options.settleMs)
  const before = new Map(counts)
  const replicationsBefore = sum(net.nodes, (node) => node.stats().churnReplications)
  const churnLookupsBefore = sum(net.nodes, (node) => node.stats().churnLookups)

  let lostCopies = 0
  for (let step = 0; step < options.fails; step++) {
    const victim = net.pick()
    const now = net.clock.now()
    lostCopies += keys.filter((key) => (victim.records.meta(key)?.expiresAt ?? 0) > now).length
    await net.fail(victim)
    for (const node of net.live()) if (node.table.has(victim.id)) node.forget(victim.id)
    if (options.joins) await join(net, joining)
    await net.advance(options.intervalMs)
  }
  await net.advance(options.settleMs)

  const delta = (type: string): number => (counts.get(type) ?? 0) - (before.get(type) ?? 0)
  const requests = ['PING', 'FIND_NODE', 'FIND_VALUE', 'STORE'].reduce((total, type) => total + delta(type), 0)
  const byType = { findNodes: delta('FIND_NODE'), stores: delta('STORE'), otherRequests: delta('PING') + delta('FIND_VALUE') }
  const churnReplications = sum(net.nodes, (node) => node.stats().churnReplications) - replicationsBefore
  const churnLookups = sum(net.nodes, (node) => node.stats().churnLookups) - churnLookupsBefore

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
    failedPuts: all.length - keys.length,
    lostCopies,
    churnReplications,
    churnLookups,
    requests,
    ...byType,
    joinRequests: delta('JOIN'),
    requestsPerReplication: round(requests / Math.max(1, churnReplications), 2),
    requestsPerLostCopy: round(requests / Math.max(1, lostCopies), 2),
    onTrueClosest: round(onTrueClosest / keys.length, 4),
    missingCopies,
    valuesLost,
    getSuccess: round(found / keys.length, 4),
    wallSeconds: round((performance.now() - started) / 1000, 1),
  }
}

/** A new node joins through a random live one, its own requests counted as `JOIN` meanwhile. */
async function join(net: Testnet, joining: Set<string>): Promise<void> {
  const contact = net.pick()
  const id = puzzleId(net.random, 0)
  joining.add(toHex(id))
  try {
    const node = await net.addNode(id)
    await net.run(node.bootstrap([contact.id], { refreshBuckets: true }))
  } finally {
    joining.delete(toHex(id))
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0)
}
