import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { compareDistance, ID_BYTES, idEquals, keyOf, toHex } from '../src/keyspace/id.ts'
import { CHURN_SENDERS } from '../src/node/churn.ts'
import { immutableKey } from '../src/records/bep44.ts'
import { immutableRecord } from '../src/records/signed-record.ts'
import { KademliaNode } from '../src/node/node.ts'
import { DEFAULTS, resolveTunables, type Tunables } from '../src/node/options.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Transport, TransportHandler } from '../src/transport/transport.ts'
import type { Message } from '../src/wire/messages.ts'
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
  /** Every STORE any node sent: its key and its recipient, in hex. */
  stores: { key: string; to: string }[]
  /** Rewrites what a node (by hex ID) sends: a lying peer. */
  rewrite: Map<string, (message: Message) => Message>
}

async function network(size: number, seed: number, options: Partial<Tunables> = {}): Promise<Net> {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: LATENCY_MS })
  const nodes: KademliaNode[] = []
  const stores: Net['stores'] = []
  const rewrite: Net['rewrite'] = new Map()
  for (let i = 0; i < size; i++) {
    const id = random.bytes(ID_BYTES)
    const transport = network.transport(id)
    const send = transport.send.bind(transport)
    transport.send = (to, message) => {
      if (message.type === 'STORE') stores.push({ key: toHex(message.key), to: toHex(to) })
      send(to, rewrite.get(toHex(id))?.(message) ?? message)
    }
    // A hand-on at K = 3 too, unless a test asks for the default (a lookup below churnHandOnMinK).
    const node = new KademliaNode({ ...QUIET, k: K, churnHandOnMinK: 1, requestTimeoutMs: 200, ...options, id, transport, clock, random, signer: signerFor(id) })
    await node.start()
    nodes.push(node)
    if (i > 0) await clock.run(node.bootstrap([nodes[0]!.id]))
  }
  return { clock, network, nodes, stores, rewrite }
}

const live = (net: Net): KademliaNode[] => net.nodes.filter((node) => node.running)

function holders(net: Net, key: Id): KademliaNode[] {
  const now = net.clock.now()
  return live(net).filter((node) => (node.records.meta(key)?.expiresAt ?? 0) > now)
}

/** Puts a record nobody republishes; returns its holders (`k` of them: the network's k). */
async function putOnce(net: Net, key: Id, k = K): Promise<KademliaNode[]> {
  const publisher = net.nodes[0]!
  await net.clock.run(publisher.put(key, Uint8Array.of(1, 2, 3)))
  publisher.unpublish(key)
  const found = holders(net, key)
  expect(found).toHaveLength(k)
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
    // Replication hands on the remaining TTL: the new copy ends when the old ones do, plus transit.
    // A copy may pass through each of the (at most CHURN_SENDERS) holders that hand it on: one's
    // lookup stores it on another, which then hands it on; each transit adds its latency.
    for (const node of now) expect(node.records.meta(key)!.expiresAt).toBeLessThanOrEqual(expiry + CHURN_SENDERS * LATENCY_MS)
  })

  it('hands the record to the node that entered its k closest with one STORE from each of the closest holders, and no lookup', async () => {
    // 16 nodes and k = 8: every table holds the whole neighbourhood of a key, so each holder's
    // view of the k closest is the true one.
    const k = 8
    const net = await network(16, 7, { k })
    const key = keyOf('churn/hand-on')
    const before = (await putOnce(net, key, k)).sort((a, b) => compareDistance(key, a.id, b.id))
    const lookups = net.nodes.map((node) => lookupsOf(node, key))
    const storesBefore = net.stores.length
    // The farthest holder leaves: the next node out enters the k closest.
    const gone = before.at(-1)!
    await leave(net, gone)
    const entrant = closestOf(live(net).map((node) => node.id), key, k).at(-1)!
    expect(before.some((node) => idEquals(node.id, entrant))).toBe(false)

    // Long enough for every holder's turn, however far from the key.
    await net.clock.advance(10 * k * DELAY)
    expect(lookups.reduce((sum, count) => sum + count(), 0)).toBe(0)
    expect(net.nodes.reduce((sum, node) => sum + node.stats().churnLookups, 0)).toBe(0)
    const stores = net.stores.slice(storesBefore).filter((store) => store.key === toHex(key))
    expect(stores.length).toBeGreaterThanOrEqual(1)
    expect(stores.length).toBeLessThanOrEqual(CHURN_SENDERS)
    expect(new Set(stores.map((store) => store.to))).toEqual(new Set([toHex(entrant)]))
    const holding = new Set(holders(net, key).map((node) => toHex(node.id)))
    for (const id of closestOf(live(net).map((node) => node.id), key, k)) expect(holding).toContain(toHex(id))
    // Only holders with fewer than CHURN_SENDERS contacts closer to the key sent.
    expect(net.nodes.filter((node) => node.stats().churnReplications > 0).length).toBeLessThanOrEqual(CHURN_SENDERS)
  })

  it('does not take the nodes that just left, named by an entrant, for nodes its table lacks', async () => {
    const net = await network(16, 2)
    const key = keyOf('churn/two-at-once')
    const holder = (await putOnce(net, key))[0]!
    const gone = closeContacts(holder, key)
    expect(gone).toHaveLength(K - 1)
    const lookups = lookupsOf(holder, key)
    // The holder forgets its K - 1 closest contacts, though they are alive (their channels closed):
    // the entrants it hands the record to still name them, closer to the key than themselves.
    const storesBefore = net.stores.length
    for (const id of gone) expect(holder.forget(id)).toBe(true)
    const entrants = closestOf([...holder.table.contacts()].map((contact) => contact.id), key, K - 1)
    await net.clock.advance(SETTLE_MS)
    expect(net.stores.slice(storesBefore).map((store) => store.to).sort()).toEqual(entrants.map(toHex).sort())
    expect(lookups()).toBe(0)
    expect(holder.stats().churnReplications).toBe(1)
    expect(holder.stats().churnLookups).toBe(0)
    await net.clock.advance(20 * DELAY)
    expect(holder.stats().churnReplications).toBe(1)
  })

  it('hands a record on when its earliest mark is due, though a later-due mark armed the timer first', async () => {
    const net = await network(16, 3)
    const key = keyOf('churn/earlier-mark')
    // The third closest holder forgets the two closer ones, closest first: the first departure
    // leaves it second in line (due 1.5–2.5 delays later), the second makes it first (0.5–1.5).
    const holder = (await putOnce(net, key)).sort((a, b) => compareDistance(key, a.id, b.id))[K - 1]!
    const closer = closeContacts(holder, key).filter((id) => compareDistance(key, id, holder.id) < 0)
    expect(closer).toHaveLength(K - 1)
    const storesBefore = net.stores.length
    for (const id of closer) expect(holder.forget(id)).toBe(true)
    await net.clock.advance(1.5 * DELAY + 5 * LATENCY_MS)
    expect(net.stores.slice(storesBefore).filter((store) => store.key === toHex(key)).length).toBeGreaterThanOrEqual(1)
    expect(holder.stats().churnReplications).toBe(1)
  })

  it('falls back to a lookup that stores when the entrant names a closer node its table lacks, once per record', async () => {
    const k = 8
    const net = await network(16, 7, { k })
    const key = keyOf('churn/unknown-closer')
    const holders0 = (await putOnce(net, key, k)).sort((a, b) => compareDistance(key, a.id, b.id))
    const [holder, unknown] = holders0
    const gone = holders0.at(-1)!
    // The closest holder's table lacks the second closest (no departure: it never knew it).
    expect(holder!.table.remove(unknown!.id).kind).toBe('removed')
    const lookups = lookupsOf(holder!, key)
    await leave(net, gone)
    await net.clock.advance(SETTLE_MS)
    expect(holder!.stats().churnReplications).toBe(1)
    expect(holder!.stats().churnLookups).toBe(1)
    expect(holder!.stats().churnFallbacks).toEqual({ marks: 0, failed: 0, closer: 1 })
    expect(lookups()).toBe(1)
    await net.clock.advance(20 * DELAY)
    expect(lookups()).toBe(1)
  })

  it('falls back to a lookup that stores when the STORE to the entrant fails, and counts why', async () => {
    const k = 8
    const net = await network(16, 9, { k })
    const key = keyOf('churn/dead-entrant')
    const before = (await putOnce(net, key, k)).sort((a, b) => compareDistance(key, a.id, b.id))
    const entrant = closestOf(live(net).map((node) => node.id), key, k + 1).at(-1)!
    // The entrant is gone too, but nobody has noticed yet: the hand-on's STORE times out.
    net.network.fail(entrant)
    await leave(net, before.at(-1)!)
    await net.clock.advance(10 * k * DELAY)
    const sum = (of: (node: KademliaNode) => number): number => live(net).reduce((total, node) => total + of(node), 0)
    expect(sum((node) => node.stats().churnFallbacks.failed)).toBeGreaterThanOrEqual(1)
    expect(sum((node) => node.stats().churnFallbacks.failed)).toBe(sum((node) => node.stats().churnLookups))
    // The lookups put the record back on the k closest nodes that are still there.
    const reachable = live(net).filter((node) => !idEquals(node.id, entrant))
    const held = new Set(holders(net, key).map((node) => toHex(node.id)))
    expect(closestOf(reachable.map((node) => node.id), key, k).filter((id) => !held.has(toHex(id)))).toEqual([])
  })

  it('an entrant that answers with made-up closer IDs costs one lookup per record per pass, no more', async () => {
    const k = 8
    const net = await network(16, 8, { k })
    const key = keyOf('churn/lying-entrant')
    const before = (await putOnce(net, key, k)).sort((a, b) => compareDistance(key, a.id, b.id))
    const gone = before.at(-1)!
    const entrant = closestOf(live(net).map((node) => node.id), key, k + 1).at(-1)!
    // The entrant answers every replica STORE with made-up IDs closer to the key than itself.
    const liar = net.nodes.find((node) => idEquals(node.id, entrant))!
    const made = Array.from({ length: k }, (_, i) => Uint8Array.from(key, (byte, j) => (j === ID_BYTES - 1 ? byte ^ (i + 1) : byte)))
    net.rewrite.set(toHex(liar.id), (message) => (message.type === 'STORED' ? { ...message, nodes: made } : message))
    const lookups = net.nodes.map((node) => lookupsOf(node, key))

    await leave(net, gone)
    await net.clock.advance(10 * k * DELAY)
    // Each of the (at most 3) closest holders fell back once; nothing repeated it.
    const total = (): number => lookups.reduce((sum, count) => sum + count(), 0)
    const fallbacks = net.nodes.reduce((sum, node) => sum + node.stats().churnLookups, 0)
    expect(total()).toBeGreaterThanOrEqual(1)
    expect(total()).toBeLessThanOrEqual(CHURN_SENDERS)
    expect(fallbacks).toBe(total())
    expect(net.nodes.reduce((sum, node) => sum + node.stats().churnFallbacks.closer, 0)).toBe(fallbacks)
    await net.clock.advance(10 * k * DELAY)
    expect(total()).toBe(fallbacks)
    expect(holders(net, key).some((node) => node === liar)).toBe(true)
  })

  it('holders that do not hand a record on (the closest three, lying or unaware) leave it one copy short until periodic replication', async () => {
    const k = 8
    const net = await network(16, 9, { k, replicateIntervalMs: HOUR })
    const key = keyOf('churn/silent-closest')
    const before = (await putOnce(net, key, k)).sort((a, b) => compareDistance(key, a.id, b.id))
    const gone = before.at(-1)!
    const silent = new Set(before.slice(0, CHURN_SENDERS))
    // The departure reaches every holder but the three closest (as if they ignored it).
    net.network.fail(gone.id)
    await gone.stop()
    for (const other of live(net)) if (!silent.has(other) && other.table.has(gone.id)) other.forget(gone.id)
    const closestLive = (): string[] => closestOf(live(net).map((node) => node.id), key, k).map(toHex)
    const missing = (): string[] => {
      const holding = new Set(holders(net, key).map((node) => toHex(node.id)))
      return closestLive().filter((hex) => !holding.has(hex))
    }
    await net.clock.advance(10 * k * DELAY)
    expect(missing()).toHaveLength(1)
    expect(net.nodes.reduce((sum, node) => sum + node.stats().churnReplications, 0)).toBe(0)
    // Every holder replicates hourly on its own: the entrant has its copy then.
    await net.clock.advance(HOUR)
    expect(missing()).toEqual([])
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
    // The node's ID is next to the key, so it is the record's closest holder and hands it on.
    const { clock, node, lookups, removals } = await silentHolder({ churnHandOnMinK: 1 }, (key) => {
      const id = Uint8Array.from(key)
      id[ID_BYTES - 1]! ^= 1
      return id
    })
    // The first pass's STORE to the entrant timed out, so it fell back to a lookup; those timeouts
    // removed contacts among the k closest, so one follow-up pass ran and fell back the same way.
    // Each pass removed at most the entrants it was given (one per departure among the k closest)
    // and the k its lookup asked. The follow-up's removals marked nothing, though contacts are left.
    expect(lookups()).toBe(2)
    expect(node.stats().churnReplications).toBe(2)
    expect(removals()).toBeGreaterThan(1 + 2 * K)
    expect(removals()).toBeLessThanOrEqual(1 + 2 * (K + K))
    expect(node.table.size).toBeGreaterThan(K)
    const settled = removals()
    await clock.advance(40 * DELAY)
    expect([lookups(), removals()]).toEqual([2, settled])
    await node.stop()
  })
})

describe('churn replication below churnHandOnMinK', () => {
  /** The default: K = 3 is below it, so a departure costs a lookup per record. */
  const LOOKUP: Partial<Tunables> = { churnHandOnMinK: DEFAULTS.churnHandOnMinK }

  it('stores a record on the true k closest with a lookup after a holder leaves, and each holder that noticed may look', async () => {
    expect(K).toBeLessThan(DEFAULTS.churnHandOnMinK)
    const net = await network(16, 1, LOOKUP)
    const key = keyOf('churn/holder-leaves')
    const before = await putOnce(net, key)
    const lookups = net.nodes.map((node) => lookupsOf(node, key))
    await leave(net, before[0]!)
    await net.clock.advance(SETTLE_MS)
    const holding = new Set(holders(net, key).map((node) => toHex(node.id)))
    for (const id of closestOf(live(net).map((node) => node.id), key, K)) expect(holding).toContain(toHex(id))
    const looked = lookups.reduce((sum, count) => sum + count(), 0)
    expect(looked).toBeGreaterThanOrEqual(1)
    expect(looked).toBeLessThanOrEqual(K - 1)
    expect(net.nodes.reduce((sum, node) => sum + node.stats().churnLookups, 0)).toBe(looked)
  })

  it.each([
    { way: 'below churnHandOnMinK it looks the record up', options: LOOKUP, lookups: 1 },
    { way: 'with the hand-on it leaves the record to the closest three', options: {}, lookups: 0 },
  ])('a holder with k contacts closer to the key: $way', async ({ options, lookups: expected }) => {
    const net = await network(16, 3, options)
    const key = keyOf('churn/far-holder')
    const holders = await putOnce(net, key)
    const now = net.clock.now()
    // A node that does not hold the record and knows K contacts closer to the key than itself.
    const far = live(net).find((node) => !holders.includes(node) && closeContacts(node, key).every((id) => compareDistance(key, id, node.id) < 0))!
    expect(closeContacts(far, key)).toHaveLength(K)
    const { record, ttlMs } = holders[0]!.records.read(key, now)[0]!
    await far.records.accept({ key, record, ttlMs, mode: 'replicate', now })
    await net.clock.advance(1)
    const lookups = lookupsOf(far, key)
    expect(far.forget(closeContacts(far, key)[0]!)).toBe(true)
    // Its turn comes K delays after the closest holder's (K + 0.5 to K + 1.5 delays).
    await net.clock.advance((K + 1.5) * DELAY + 1_000)
    expect(lookups()).toBe(expected)
    expect(far.stats().churnLookups).toBe(expected)
    expect(far.stats().churnReplications).toBe(expected)
  })

  it('runs one lookup per record for departures noticed together, and nothing more afterwards', async () => {
    const net = await network(16, 2, LOOKUP)
    const key = keyOf('churn/two-at-once')
    const holder = (await putOnce(net, key))[0]!
    const gone = closeContacts(holder, key)
    expect(gone).toHaveLength(K - 1)
    const lookups = lookupsOf(holder, key)
    for (const id of gone) expect(holder.forget(id)).toBe(true)
    await net.clock.advance(SETTLE_MS)
    expect(lookups()).toBe(1)
    expect(holder.stats().churnReplications).toBe(1)
    expect(holder.stats().churnLookups).toBe(1)
    // Below churnHandOnMinK a lookup is the plan, not a fallback.
    expect(holder.stats().churnFallbacks).toEqual({ marks: 0, failed: 0, closer: 0 })
    // The forgotten contacts were alive: the lookup heard from them again, and that marks nothing.
    await net.clock.advance(20 * DELAY)
    expect(lookups()).toBe(1)
  })

  it('lets the timeouts of a pass trigger one follow-up pass for a record, not a chain of them', async () => {
    const { node, lookups, removals } = await silentHolder(LOOKUP, (_key, random) => random.bytes(ID_BYTES))
    // The first pass's timeouts removed contacts among the k closest, so one follow-up pass ran;
    // its own timeouts removed as many again, but marked nothing, though contacts are left.
    expect(lookups()).toBe(2)
    expect(node.stats().churnReplications).toBe(2)
    expect(removals()).toBe(1 + 2 * K)
    expect(node.table.size).toBeGreaterThan(K)
    await node.stop()
  })
})

/**
 * A node whose 24 contacts never answer (every lookup's requests time out and drop contacts),
 * holding one record, right after it forgot its closest contact to the record's key and 40
 * churn delays went by. `idOf` gives its ID (drawn before the contacts', for the same draws).
 */
async function silentHolder(
  options: Partial<Tunables>,
  idOf: (key: Id, random: ReturnType<typeof seededRandom>) => Id,
): Promise<{ clock: VirtualClock; node: KademliaNode; lookups: () => number; removals: () => number }> {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(6)
  const silent = silentTransport()
  const value = Uint8Array.of(7)
  const key = immutableKey(value)
  const id = idOf(key, random)
  const node = new KademliaNode({ ...QUIET, ...options, id, k: K, staleLimit: 1, requestTimeoutMs: 100, transport: silent.transport, clock, random })
  await node.start()
  for (let i = 0; i < 24; i++) silent.handler().onMessage(random.bytes(ID_BYTES), { type: 'PING', rid: i })
  await node.records.accept({ key, record: immutableRecord(value), ttlMs: HOUR, mode: 'replicate', now: clock.now() })
  const lookups = lookupsOf(node, key)
  let removals = 0
  node.on('peer:removed', () => removals++)
  expect(node.forget(closeContacts(node, key)[0]!)).toBe(true)
  await clock.advance(40 * DELAY)
  return { clock, node, lookups, removals: () => removals }
}

/** A transport that delivers nothing anywhere; `handler()` is what the node listens with. */
function silentTransport(): { transport: Transport; handler: () => TransportHandler } {
  let listener: TransportHandler | undefined
  return {
    transport: { send: () => undefined, listen: (handler) => void (listener = handler), close: () => undefined },
    handler: () => listener!,
  }
}
