import { describe, expect, it } from 'vitest'
import { ID_BYTES, randomIdInBucket } from '../src/keyspace/id.ts'
import { Liveness, MAX_FAILED_STRANGERS, MAX_STRANGER_REST_FACTOR } from '../src/node/liveness.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { RoutingTable } from '../src/routing-table/routing-table.ts'

/**
 * Nodes outside the routing table that failed: lookups leave them out for failedContactRestMs, as
 * they do a contact that failed, by the same rule (a proven failure, or the second unproven one
 * in a row), until they are heard from; each rest in a row twice as long as the one before, up to
 * MAX_STRANGER_REST_FACTOR times. The backoff's spread is pinned to 1 here (a float() of 0.5).
 */
const REST_MS = 30_000

function setup(staleLimit = 5, k = 20): { liveness: Liveness; table: RoutingTable; clock: { now: number }; random: ReturnType<typeof seededRandom> } {
  const random = seededRandom(3)
  const table = new RoutingTable({ self: random.bytes(ID_BYTES), k, replacementCacheSize: 0, staleLimit })
  const clock = { now: 1_000_000 }
  const liveness = new Liveness({
    table,
    options: { evictionPingAfterMs: 30_000, maxEvictionPings: 8, failedContactRestMs: REST_MS },
    maintenance: { handOff: () => undefined, departed: () => undefined },
    now: () => clock.now,
    random: { float: () => 0.5 },
    ping: () => Promise.resolve(true),
    emit: () => undefined,
  })
  return { liveness, table, clock, random }
}

describe('Liveness: nodes outside the table that failed', () => {
  it('rests a node it does not hold after a proven failure, until failedContactRestMs is over', () => {
    const { liveness, clock, random } = setup()
    const stranger = random.bytes(ID_BYTES)
    expect(liveness.resting(stranger)).toBe(false)
    liveness.failed(stranger, true)
    expect(liveness.resting(stranger)).toBe(true)
    clock.now += REST_MS - 1
    expect(liveness.resting(stranger)).toBe(true)
    clock.now += 1
    expect(liveness.resting(stranger)).toBe(false)
  })

  it(`doubles the rest with each rest in a row, up to ${MAX_STRANGER_REST_FACTOR} times failedContactRestMs`, () => {
    const { liveness, clock, random } = setup()
    const stranger = random.bytes(ID_BYTES)
    const rests: number[] = []
    for (let i = 0; i < 6; i++) {
      liveness.failed(stranger, true)
      const from = clock.now
      while (liveness.resting(stranger)) clock.now += 1000
      rests.push((clock.now - from) / REST_MS)
    }
    expect(rests).toEqual([1, 2, 4, 8, 8, 8])
  })

  it('rests a contact the transport says is gone (gone), out of the table, until it is heard from', () => {
    const { liveness, table, clock, random } = setup()
    const contact = random.bytes(ID_BYTES)
    liveness.heard(contact)
    expect(liveness.gone(contact)).toBe(true)
    expect(table.has(contact)).toBe(false)
    expect(liveness.resting(contact)).toBe(true)
    clock.now += REST_MS / 2
    liveness.heard(contact)
    expect(table.has(contact)).toBe(true)
    expect(liveness.resting(contact)).toBe(false)
    // A node not in the table rests too, and says it was not there.
    const stranger = random.bytes(ID_BYTES)
    expect(liveness.gone(stranger)).toBe(false)
    expect(liveness.resting(stranger)).toBe(true)
    clock.now += REST_MS
    expect(liveness.resting(stranger)).toBe(false)
  })

  it('does not rest it on one unproven failure (a relay’s word), but on the second in a row', () => {
    const { liveness, random } = setup()
    const stranger = random.bytes(ID_BYTES)
    liveness.failed(stranger, false)
    expect(liveness.resting(stranger)).toBe(false)
    liveness.failed(stranger, false)
    expect(liveness.resting(stranger)).toBe(true)
  })

  it('forgets the failures of a node heard from, whether the table takes it or not', () => {
    const { liveness, table, random } = setup(5, 1)
    // k = 1: bucket 0 holds one contact, so a second node in it stays outside the table.
    const contact = randomIdInBucket(table.self, 0, random)
    const stranger = randomIdInBucket(table.self, 0, random)
    liveness.heard(contact)
    liveness.failed(stranger, true)
    expect(liveness.resting(stranger)).toBe(true)
    liveness.heard(stranger)
    expect(table.has(stranger)).toBe(false)
    expect(liveness.resting(stranger)).toBe(false)
    // A late answer (alive) ends a rest too, and adds nothing to the table.
    liveness.failed(stranger, true)
    liveness.alive(stranger)
    expect(liveness.resting(stranger)).toBe(false)
    expect(table.size).toBe(1)
  })

  it('starts the count over for a failure long after the last one', () => {
    const { liveness, clock, random } = setup()
    const stranger = random.bytes(ID_BYTES)
    liveness.failed(stranger, false)
    clock.now += REST_MS + 1
    liveness.failed(stranger, false)
    expect(liveness.resting(stranger)).toBe(false)
    clock.now += REST_MS
    liveness.failed(stranger, false)
    expect(liveness.resting(stranger)).toBe(true)
  })

  it('rests a contact that unproven failures took out of the table', () => {
    const { liveness, table, random } = setup(2)
    const contact = random.bytes(ID_BYTES)
    liveness.heard(contact)
    liveness.failed(contact, false)
    expect(table.has(contact)).toBe(true)
    liveness.failed(contact, false)
    expect(table.has(contact)).toBe(false)
    expect(liveness.resting(contact)).toBe(true)
  })

  it('rests a contact that failing took out of the table, though it is no longer a contact', () => {
    const { liveness, table, random } = setup(1)
    const contact = random.bytes(ID_BYTES)
    liveness.heard(contact)
    liveness.failed(contact, true)
    expect(table.has(contact)).toBe(false)
    expect(liveness.resting(contact)).toBe(true)
  })

  it(`remembers at most ${MAX_FAILED_STRANGERS} strangers, the oldest forgotten first`, () => {
    const { liveness, random } = setup()
    const first = random.bytes(ID_BYTES)
    liveness.failed(first, true)
    for (let i = 0; i < MAX_FAILED_STRANGERS - 1; i++) liveness.failed(random.bytes(ID_BYTES), true)
    expect(liveness.resting(first)).toBe(true)
    liveness.failed(random.bytes(ID_BYTES), true)
    expect(liveness.resting(first)).toBe(false)
  })
})
