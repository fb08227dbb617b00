/**
 * The connection manager's passes on a virtual clock, over a fake transport: an idle node's passes
 * slow down to `quietIntervalMs`, and any connection event brings them back to `intervalMs`.
 */
import { type Id, randomIdInBucket, RoutingTable, seededRandom, VirtualClock } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { ConnectionManager } from '../src/overlay/connection-manager.ts'
import { MANAGER_DEFAULTS, type ManagerTunables, resolveManagerTunables } from '../src/overlay/manager-options.ts'
import type { WebRtcTransport } from '../src/webrtc-transport.ts'

type Listener = (event: { id: Id; reason?: string }) => void

function setup(contacts: number, tunables: Partial<ManagerTunables> = {}): { manager: ConnectionManager; clock: VirtualClock; passes: () => number; emit: (name: string, id: Id) => void; linked: Id[] } {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(7)
  const self = random.bytes(20)
  const table = new RoutingTable({ self, k: 8, replacementCacheSize: 2, staleLimit: 3 })
  for (let i = 0; i < contacts; i++) table.heard(randomIdInBucket(self, 159 - (i % 6), random), clock.now())
  let passes = 0
  const buckets = table.buckets.bind(table)
  table.buckets = () => {
    passes++
    return buckets()
  }
  const linked: Id[] = []
  const listeners = new Map<string, Listener[]>()
  const transport = {
    options: { maxConnections: 32 },
    peers: () => linked.map((id) => ({ id, state: 'open', initiator: true })),
    connect: (id: Id) => {
      linked.push(id)
      return true
    },
    on: (name: string, listener: Listener) => {
      listeners.set(name, [...(listeners.get(name) ?? []), listener])
      return () => undefined
    },
    setPolicy: () => undefined,
  } as unknown as WebRtcTransport
  const manager = new ConnectionManager({ ...tunables, transport, table, clock, random })
  const emit = (name: string, id: Id): void => {
    for (const listener of listeners.get(name) ?? []) listener({ id, reason: 'remote-left' })
  }
  return { manager, clock, passes: () => passes, emit, linked }
}

describe('ConnectionManager passes', () => {
  it('slows down to quietIntervalMs while every wanted peer is connected, and speeds up when a connection closes', async () => {
    const { manager, clock, passes, emit, linked } = setup(12)
    const { intervalMs, quietIntervalMs } = MANAGER_DEFAULTS
    manager.start()
    // The first passes dial the wanted peers, maxDialing a pass; then every one is connected.
    await clock.advance(10 * intervalMs)
    expect(linked.length).toBeGreaterThan(0)
    const dialed = linked.length
    const settled = passes()
    // Ten minutes idle: waits of 4, 8, 16 s, then 30 s each (20 passes), not 300 passes of 2 s.
    await clock.advance(10 * 60_000)
    const idlePasses = passes() - settled
    expect(idlePasses).toBeGreaterThanOrEqual(18)
    expect(idlePasses).toBeLessThanOrEqual(23)
    expect(linked.length).toBe(dialed)
    // A wanted peer's connection closes: the next pass comes within intervalMs and dials it again.
    const gone = linked.splice(0, 1)[0]!
    emit('peer:disconnected', gone)
    const before = passes()
    await clock.advance(intervalMs)
    expect(passes()).toBe(before + 1)
    expect(linked.length).toBe(dialed)
    expect(quietIntervalMs).toBe(30_000)
    manager.stop()
  })
})

describe('ConnectionManager options', () => {
  it('refuses a tunable outside its range, or a pair out of order, by name (ERR_INVALID_OPTION), before it starts anything', () => {
    const refused = (tunables: Partial<ManagerTunables>): string => {
      try {
        resolveManagerTunables(tunables)
      } catch (error) {
        expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' })
        return (error as Error).message
      }
      return 'accepted'
    }
    expect(refused({ intervalMs: 0 })).toBe('intervalMs must be a positive number, not 0')
    expect(refused({ maxDialing: 1.5 })).toMatch(/^maxDialing must be a positive integer/)
    expect(refused({ wantedShare: 0 })).toMatch(/^wantedShare must be a number above 0 and at most 1/)
    expect(refused({ wantedShare: 1.5 })).toMatch(/^wantedShare must be/)
    expect(refused({ neighbours: -1 })).toMatch(/^neighbours must be/)
    expect(refused({ intervalMs: 60_000 })).toBe('quietIntervalMs must be at least intervalMs (60000), not 30000')
    expect(refused({ maxRetryAfterMs: 1_000 })).toBe('maxRetryAfterMs must be at least retryAfterMs (60000), not 1000')
    expect(refused({ intervalMs: 60_000, quietIntervalMs: 60_000, maxDialing: undefined })).toBe('accepted')
    expect(refused({ ...MANAGER_DEFAULTS })).toBe('accepted')
    // The manager checks them itself too.
    expect(() => setup(4, { maxDialing: 0 })).toThrow(/^maxDialing must be/)
  })
})
