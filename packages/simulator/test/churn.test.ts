import { type Id, keyOf, toHex } from '@browser-dht/kademlia'
import type { KademliaNode } from '@browser-dht/kademlia'
import { beforeAll, describe, expect, it } from 'vitest'
import { trueClosest } from '../src/brute-force.ts'
import { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, bytesOf, hexes, holdersOf, liveIds, MAX_ONE_WAY_MS, shuffled } from './support.ts'

/**
 * Churn replication: when a holder leaves, the other holders store its records on the new k
 * closest within seconds, not at the next hourly replication pass. Periodic replication and
 * republish are an hour away here, so only churn replication can restore a lost copy.
 */
const K = 5
const NODES = 200
const RECORDS = 50
const STEPS = 25
const HOUR = 3_600_000
const TTL_MS = 10 * 60_000
const EXPIRE_INTERVAL_MS = 10_000
/**
 * The longest churn delay, a holder's at rank k − 1 (2 s × (k − 1 + 1.5): the one that noticed a
 * departure may be the farthest holder), a lookup with a timeout or two, and the STOREs.
 */
const SETTLE_MS = 13_000

interface Churned {
  net: Testnet
  keys: Id[]
  putAt: number
  /** Latest expiry of each key on any holder right after the put, by hex key. */
  expiry: Map<string, number>
  /** Record copies the failed nodes held when they failed. */
  lostCopies: number
  /** The fewest live holders of any key after each step. */
  fewest: number[]
}

/** `churnHandOnMinK`: K hands departures on (k = 5 is below the default); the default looks up. */
async function build(churnReplicateDelayMs: number, churnHandOnMinK?: number): Promise<Churned> {
  const net = new Testnet({
    seed: 505,
    k: K,
    requestTimeoutMs: 500,
    recordTtlMs: TTL_MS,
    expireIntervalMs: EXPIRE_INTERVAL_MS,
    replicateIntervalMs: HOUR,
    republishIntervalMs: HOUR,
    churnReplicateDelayMs,
    churnHandOnMinK,
  })
  await net.grow(NODES)
  const keys: Id[] = []
  const expiry = new Map<string, number>()
  const putAt = net.clock.now()
  for (let i = 0; i < RECORDS; i++) {
    const key = keyOf(`churn/${i}`)
    const publisher = net.pick()
    const { holders } = await net.run(publisher.put(key, bytesOf(`value ${i}`)))
    expect(holders).toHaveLength(K)
    // Nobody republishes: the record lives only as long as its TTL.
    publisher.unpublish(key)
    keys.push(key)
    expiry.set(toHex(key), Math.max(...holdersOf(net, key).map((node) => node.records.meta(key)!.expiresAt)))
  }
  return { net, keys, putAt, expiry, lostCopies: 0, fewest: [] }
}

/** A random live node holding at least one of the keys fails; nodes that had it in their table are told (forget). */
async function failAHolder(churned: Churned): Promise<void> {
  const { net, keys } = churned
  const now = net.clock.now()
  const holds = (node: KademliaNode, key: Id): boolean => (node.records.meta(key)?.expiresAt ?? 0) > now
  const victim = shuffled(net, net.live()).find((node) => keys.some((key) => holds(node, key)))!
  churned.lostCopies += keys.filter((key) => holds(victim, key)).length
  await net.fail(victim)
  // What the WebRTC transport does when a data channel closes.
  for (const node of net.live()) if (node.table.has(victim.id)) node.forget(victim.id)
}

async function churn(churned: Churned): Promise<void> {
  for (let step = 0; step < STEPS; step++) {
    await failAHolder(churned)
    await churned.net.advance(SETTLE_MS)
    churned.fewest.push(Math.min(...churned.keys.map((key) => holdersOf(churned.net, key).length)))
  }
}

function churnReplications(net: Testnet): number {
  return net.nodes.reduce((sum, node) => sum + node.stats().churnReplications, 0)
}

describe.each([
  { way: 'hand-on', churnHandOnMinK: K },
  { way: 'lookup per record (k below the default churnHandOnMinK)', churnHandOnMinK: undefined },
])(`churn replication on a ${NODES}-node network with k = ${K} and ${RECORDS} records, $way`, ({ churnHandOnMinK }) => {
  let churned: Churned

  beforeAll(async () => {
    churned = await build(2_000, churnHandOnMinK)
    await churn(churned)
  }, BUILD_TIMEOUT_MS)

  it('keeps every record on at least k live nodes, the true k closest among them, as holders fail one at a time', () => {
    const { net, keys, fewest, lostCopies } = churned
    expect(lostCopies).toBeGreaterThanOrEqual(STEPS)
    expect(fewest).toHaveLength(STEPS)
    expect(fewest.filter((count) => count < K), `fewest live holders after each step: ${fewest.join(' ')}`).toEqual([])
    for (const key of keys) {
      const holding = new Set(hexes(holdersOf(net, key).map((node) => node.id)))
      for (const hex of hexes(trueClosest(liveIds(net), key, K))) expect(holding).toContain(hex)
    }
    const replications = churnReplications(net)
    const lookups = net.nodes.reduce((sum, node) => sum + node.stats().churnLookups, 0)
    expect(replications).toBeGreaterThan(lostCopies / 2)
    if (churnHandOnMinK !== undefined) {
      // Of the holders that noticed a departure, only the (at most 3, CHURN_SENDERS) closest to
      // the key hand the record on, each with one STORE to the node that entered its k closest;
      // a lookup that stores on all k only where that node named a closer one the holder's table
      // lacked (with k = 5 a bucket is full sooner: the table may lack a node near the key). So
      // at most 3 replications per lost copy, and lookups for under a quarter of them.
      expect(replications).toBeLessThanOrEqual(lostCopies * 3)
      expect(lookups).toBeLessThan(replications / 4)
    } else {
      // Every holder that noticed may look, but each goes one rank later and skips a record a
      // lookup stored on it meanwhile: about one lookup per lost copy (a copy may also come back
      // by hand-off), far from one per holder (K - 1).
      expect(lookups).toBe(replications)
      expect(replications).toBeLessThanOrEqual(lostCopies * 1.5)
    }
  })

  it('never extends a TTL: records nobody republishes are gone from every node once it runs out', async () => {
    const { net, keys, putAt, expiry } = churned
    // A STORE carries the remaining TTL, so each hand-on adds at most its transit time.
    for (const key of keys) {
      for (const node of holdersOf(net, key)) {
        expect(node.records.meta(key)!.expiresAt).toBeLessThanOrEqual(expiry.get(toHex(key))! + STEPS * MAX_ONE_WAY_MS)
      }
    }
    const lastExpiry = Math.max(...expiry.values()) + STEPS * MAX_ONE_WAY_MS
    expect(lastExpiry).toBeLessThan(putAt + TTL_MS + 60_000)
    // Past the last TTL, plus one expiry period with its 10 % jitter.
    await net.advance(lastExpiry + 1.1 * EXPIRE_INTERVAL_MS - net.clock.now())
    for (const key of keys) {
      const stillHolding = net.live().filter((node) => node.records.meta(key) !== undefined)
      expect(hexes(stillHolding.map((node) => node.id))).toEqual([])
    }
    for (const key of keys.slice(0, 5)) expect((await net.run(net.pick().get(key))).value).toBeUndefined()
  })
})

describe('the same churn with churn replication off (churnReplicateDelayMs 0)', () => {
  it('lets records decay below k live copies', async () => {
    const churned = await build(0)
    await churn(churned)
    expect(churnReplications(churned.net)).toBe(0)
    expect(churned.fewest[STEPS - 1]).toBeLessThan(K)
    const copies = churned.keys.reduce((sum, key) => sum + holdersOf(churned.net, key).length, 0)
    expect(copies).toBe(RECORDS * K - churned.lostCopies)
  }, BUILD_TIMEOUT_MS)
})
