import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { compareDistance, ID_BYTES, idEquals, keyOf, randomIdInBucket, toHex } from '../src/keyspace/id.ts'
import { departureTest } from '../src/node/maintenance.ts'
import { immutableKey } from '../src/records/bep44.ts'
import { immutableRecord } from '../src/records/signed-record.ts'
import { KademliaNode } from '../src/node/node.ts'
import { DEFAULTS, resolveTunables, type Tunables } from '../src/node/options.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { RoutingTable } from '../src/routing-table/routing-table.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport, TransportHandler } from '../src/transport/transport.ts'
import { signerFor } from './support.ts'

/**
 * Churn replication: a node that loses a contact from its routing table stores the records the
 * contact was among the k closest for on the current k closest, `churnReplicateDelayMs` later
 * (±50 %), instead of at the next replication pass.
 */
const K = 3
const DELAY = DEFAULTS.churnReplicateDelayMs
const LATENCY_MS = 10
const HOUR = 3_600_000
/** Periodic replication, republish and refresh stay out of the way: only churn replication acts. */
const QUIET: Partial<Tunables> = { replicateIntervalMs: 10 * HOUR, republishIntervalMs: 10 * HOUR, refreshIntervalMs: 10 * HOUR }
/** Past the longest churn delay, with time for the lookup and the STOREs. */
const SETTLE_MS = 1.5 * DELAY + 1_000

interface Net {
  clock: VirtualClock
  network: MemoryNetwork
  nodes: KademliaNode[]
}

async function network(size: number, seed: number, options: Partial<Tunables> = {}): Promise<Net> {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: LATENCY_MS })
  const nodes: KademliaNode[] = []
  for (let i = 0; i < size; i++) {
    const id = random.bytes(ID_BYTES)
    const transport = network.transport(id)
    const node = new KademliaNode({ ...QUIET, k: K, requestTimeoutMs: 200, ...options, id, transport, clock, random, signer: signerFor(id) })
    await node.start()
    nodes.push(node)
    if (i > 0) await clock.run(node.bootstrap([nodes[0]!.id]))
  }
  return { clock, network, nodes }
}

const live = (net: Net): KademliaNode[] => net.nodes.filter((node) => node.running)

function holders(net: Net, key: Id): KademliaNode[] {
  const now = net.clock.now()
  return live(net).filter((node) => (node.records.meta(key)?.expiresAt ?? 0) > now)
}

/** Puts a record nobody republishes; returns its holders. */
async function putOnce(net: Net, key: Id): Promise<KademliaNode[]> {
  const publisher = net.nodes[0]!
  await net.clock.run(publisher.put(key, Uint8Array.of(1, 2, 3)))
  publisher.unpublish(key)
  const found = holders(net, key)
  expect(found).toHaveLength(K)
  return found
}

/** The node fails without notice; every live node that had it in its table is told, as a transport would. */
async function leave(net: Net, node: KademliaNode): Promise<void> {
  net.network.fail(node.id)
  await node.stop()
  for (const other of live(net)) if (other.table.has(node.id)) other.forget(node.id)
}

/** Counts `node`'s lookups of `key`: FIND_NODE lookups, and the lookups that store replicas (`storeAround`). */
function lookupsOf(node: KademliaNode, key: Id): () => number {
  const findNode = node.findNode.bind(node)
  const storeAround = node.storeAround.bind(node)
  let calls = 0
  vi.spyOn(node, 'findNode').mockImplementation((target, options) => {
    if (idEquals(target, key)) calls++
    return findNode(target, options)
  })
  vi.spyOn(node, 'storeAround').mockImplementation((target, record, expiresAt) => {
    if (idEquals(target, key)) calls++
    return storeAround(target, record, expiresAt)
  })
  return () => calls
}

/** The `n` closest to `key` among `ids`. */
function closestOf(ids: readonly Id[], key: Id, n: number): Id[] {
  return [...ids].sort((a, b) => compareDistance(key, a, b)).slice(0, n)
}

/** `node`'s contacts among the k closest to `key`, counting `node` itself, by its own table. */
function closeContacts(node: KademliaNode, key: Id): Id[] {
  const contacts = [...node.table.contacts()].map((contact) => contact.id)
  return closestOf([node.id, ...contacts], key, K).filter((id) => !idEquals(id, node.id))
}

const churnReplications = (net: Net): number => net.nodes.reduce((sum, node) => sum + node.stats().churnReplications, 0)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('churn replication', () => {
  it('stores a record on the new k closest within churnReplicateDelayMs after a holder leaves, with its remaining TTL', async () => {
    const net = await network(16, 1)
    const key = keyOf('churn/holder-leaves')
    const before = await putOnce(net, key)
    const expiry = Math.max(...before.map((node) => node.records.meta(key)!.expiresAt))
    await leave(net, before[0]!)
    expect(holders(net, key)).toHaveLength(K - 1)

    // Nothing happens before the shortest delay...
    await net.clock.advance(0.5 * DELAY - 1)
    expect(churnReplications(net)).toBe(0)
    // ...and soon after the longest one the record is on the k closest live nodes again.
    await net.clock.advance(SETTLE_MS)
    const now = holders(net, key)
    expect(now.length).toBeGreaterThanOrEqual(K)
    const holding = new Set(now.map((node) => toHex(node.id)))
    for (const id of closestOf(live(net).map((node) => node.id), key, K)) expect(holding).toContain(toHex(id))
    expect(churnReplications(net)).toBeGreaterThanOrEqual(1)
    expect(churnReplications(net)).toBeLessThanOrEqual(K - 1)
    // Replication hands on the remaining TTL: the new copy ends when the old ones do (plus transit).
    for (const node of now) expect(node.records.meta(key)!.expiresAt).toBeLessThanOrEqual(expiry + LATENCY_MS)
  })

  it('runs one lookup per record for departures noticed together, and nothing more afterwards', async () => {
    const net = await network(16, 2)
    const key = keyOf('churn/two-at-once')
    const holder = (await putOnce(net, key))[0]!
    const gone = closeContacts(holder, key)
    expect(gone).toHaveLength(K - 1)
    const lookups = lookupsOf(holder, key)

    for (const id of gone) expect(holder.forget(id)).toBe(true)
    await net.clock.advance(SETTLE_MS)
    expect(lookups()).toBe(1)
    expect(holder.stats().churnReplications).toBe(1)
    // The forgotten contacts were alive: the lookup heard from them again, and that marks nothing.
    await net.clock.advance(20 * DELAY)
    expect(lookups()).toBe(1)
    expect(holder.stats().churnReplications).toBe(1)
  })

  it('ignores the departure of a contact that is not among the k closest to any record it holds', async () => {
    const net = await network(16, 3)
    const key = keyOf('churn/far-contact')
    const holder = (await putOnce(net, key))[0]!
    const close = new Set(closeContacts(holder, key).map(toHex))
    const far = [...holder.table.contacts()].map((contact) => contact.id).find((id) => !close.has(toHex(id)))!
    expect(far).toBeDefined()
    const lookups = lookupsOf(holder, key)
    const sent = holder.stats().requestsSent

    expect(holder.forget(far)).toBe(true)
    await net.clock.advance(3 * DELAY)
    expect(lookups()).toBe(0)
    expect(holder.stats().churnReplications).toBe(0)
    expect(holder.stats().requestsSent).toBe(sent)
  })

  it('cancels a pending pass on stop()', async () => {
    const net = await network(12, 4)
    const key = keyOf('churn/stop')
    const holder = (await putOnce(net, key))[0]!
    const lookups = lookupsOf(holder, key)
    holder.forget(closeContacts(holder, key)[0]!)
    await holder.stop()
    await net.clock.advance(3 * DELAY)
    expect(lookups()).toBe(0)
    expect(holder.stats().churnReplications).toBe(0)
  })

  it('is off with churnReplicateDelayMs 0, and the option is validated like every other', async () => {
    expect(DEFAULTS.churnReplicateDelayMs).toBe(2_000)
    expect(() => resolveTunables({ churnReplicateDelayMs: -1 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
    const net = await network(12, 5, { churnReplicateDelayMs: 0 })
    const key = keyOf('churn/off')
    await leave(net, (await putOnce(net, key))[0]!)
    await net.clock.advance(10 * DELAY)
    expect(churnReplications(net)).toBe(0)
    expect(holders(net, key)).toHaveLength(K - 1)
  })

  it('lets the timeouts of a pass trigger one follow-up pass for a record, not a chain of them', async () => {
    // A node whose contacts never answer: every lookup's requests time out and drop contacts.
    const clock = new VirtualClock(1_000_000)
    const random = seededRandom(6)
    const silent = silentTransport()
    const id = random.bytes(ID_BYTES)
    const node = new KademliaNode({ ...QUIET, id, k: K, staleLimit: 1, requestTimeoutMs: 100, transport: silent.transport, clock, random })
    await node.start()
    for (let i = 0; i < 24; i++) silent.handler().onMessage(random.bytes(ID_BYTES), { type: 'PING', rid: i })
    const value = Uint8Array.of(7)
    const key = immutableKey(value)
    await node.records.accept({ key, record: immutableRecord(value), ttlMs: HOUR, mode: 'replicate', now: clock.now() })
    const lookups = lookupsOf(node, key)
    let removals = 0
    node.on('peer:removed', () => removals++)

    expect(node.forget(closeContacts(node, key)[0]!)).toBe(true)
    await clock.advance(40 * DELAY)
    // The first pass's timeouts removed contacts among the k closest, so one follow-up pass ran;
    // its own timeouts removed as many again, but marked nothing, though contacts are left.
    expect(lookups()).toBe(2)
    expect(node.stats().churnReplications).toBe(2)
    expect(removals).toBe(1 + 2 * K)
    expect(node.table.size).toBeGreaterThan(K)
    await node.stop()
  })
})

describe('departureTest', () => {
  it('says whether the removed contact was among the k closest to a key, self counted, as a brute force over the table before does', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (seed, k, count, byFailure) => {
        const random = seededRandom(seed)
        const self = random.bytes(ID_BYTES)
        // Contacts and keys crowd into the first buckets, so buckets fill and the key lands in all kinds of places.
        const near = (): Id => randomIdInBucket(self, Math.floor(random.float() * 8), random)
        const table = new RoutingTable({ self, k, replacementCacheSize: 2, staleLimit: 1 })
        for (let i = 0; i < count; i++) table.heard(near(), i)
        const contacts = [...table.contacts()].map((contact) => contact.id)
        const gone = contacts[Math.floor(random.float() * contacts.length)]!
        const inGonesBucket = (): Id => randomIdInBucket(self, table.bucketIndex(gone), random)
        const keys = [self, gone, ...Array.from({ length: 30 }, near), ...Array.from({ length: 5 }, inGonesBucket)]
        const expected = keys.map((key) => closestOf([self, ...contacts], key, k).some((id) => idEquals(id, gone)))

        const result = byFailure ? table.failed(gone) : table.remove(gone)
        expect(result.kind).toBe('removed')
        const wasAmongClosest = departureTest(table, gone, result.kind === 'removed' ? result.replacement?.id : undefined, k)
        expect(keys.map(wasAmongClosest)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})

/** A transport that delivers nothing anywhere; `handler()` is what the node listens with. */
function silentTransport(): { transport: Transport; handler: () => TransportHandler } {
  let listener: TransportHandler | undefined
  return {
    transport: { send: () => undefined, listen: (handler) => void (listener = handler), close: () => undefined },
    handler: () => listener!,
  }
}
