import { describe, expect, it } from 'vitest'
import { type Clock, toHex } from '@browser-dht/kademlia'
import { TransportErrorCode } from '../src/errors.ts'
import { WebRtcTransport } from '../src/webrtc-transport.ts'
import { FakeNetwork } from './helpers/fake-network.ts'
import { ping } from './helpers/messages.ts'
import { orderedIdentities } from './helpers/ids.ts'
import { generateIdentity } from '@browser-dht/identity/noble'
import type { SignalEnvelope } from '../src/signaling/signal.ts'
import { sealSignal, type SignalData, signalData } from '../src/signaling/signed-signal.ts'
import { nobleSuite } from '../src/auth/noble-suite.ts'

const hex = (ids: Uint8Array[]): string[] => ids.map((id) => toHex(id)).sort()

describe('connection lifecycle (fake peers, virtual clock)', () => {
  it('reports a peer that closes and forgets it', async () => {
    const net = new FakeNetwork()
    const a = net.add()
    const b = net.add()
    a.transport.send(b.id, ping(1))
    await net.clock.advance(10)
    expect(a.events).toEqual([{ type: 'connected', id: b.id }])
    b.transport.close()
    await net.clock.advance(10)
    expect(a.events.at(-1)).toEqual({ type: 'disconnected', id: b.id, reason: 'remote-left' })
    expect(a.transport.peers()).toEqual([])
    expect(a.transport.stats()).toMatchObject({ open: 0, connecting: 0 })
  })

  it('declares a peer that stops answering dead by heartbeat within maxMissed + 2 intervals', async () => {
    const net = new FakeNetwork()
    const options = { heartbeatIntervalMs: 1000, heartbeatMaxMissed: 3 }
    const a = net.add(options)
    const b = net.add(options)
    a.transport.send(b.id, ping(1))
    await net.clock.advance(10_000)
    expect(a.transport.isConnected(b.id)).toBe(true)
    const silentAt = net.clock.now()
    let detectedAt = 0
    a.transport.on('peer:disconnected', () => (detectedAt = net.clock.now()))
    net.peers.all[1]!.delivers = false
    await net.clock.advance(6000)
    expect(a.events.at(-1)).toEqual({ type: 'disconnected', id: b.id, reason: 'heartbeat' })
    expect(a.transport.stats().closed.heartbeat).toBe(1)
    expect(detectedAt - silentAt).toBeGreaterThanOrEqual(4000)
    expect(detectedAt - silentAt).toBeLessThan(6000)
    expect(a.transport.isConnected(b.id)).toBe(false)
    expect(b.events.at(-1)).toEqual({ type: 'disconnected', id: a.id, reason: 'remote-closed' })
  })

  it('keeps a live peer when this tab runs its timers only once a minute', async () => {
    const net = new FakeNetwork()
    const throttled: Clock = {
      now: () => net.clock.now(),
      setTimeout: (callback, ms) => net.clock.setTimeout(callback, Math.max(ms, 60_000)),
      clearTimeout: (handle) => net.clock.clearTimeout(handle),
    }
    const a = net.add({ clock: throttled })
    // b's tab is about to freeze: its own heartbeat never fires, it only answers pings.
    const b = net.add({ heartbeatIntervalMs: 1e9 })
    a.transport.send(b.id, ping(1))
    await net.clock.advance(60_010)
    expect(a.transport.isConnected(b.id)).toBe(true)
    await net.clock.advance(30 * 60_000)
    expect(a.transport.isConnected(b.id)).toBe(true)
    expect(a.transport.stats().pingsSent).toBeGreaterThanOrEqual(25)
    net.peers.all[1]!.delivers = false
    await net.clock.advance(5 * 60_000)
    expect(a.events.at(-1)).toMatchObject({ type: 'disconnected', reason: 'heartbeat' })
    expect(b.events.at(-1)).toMatchObject({ type: 'disconnected', reason: 'remote-closed' })
  })

  it('keeps the connection dialed by the lower ID when both dial at once, with both messages delivered', async () => {
    const net = new FakeNetwork()
    const { low: lowIdentity, high: highIdentity } = orderedIdentities()
    const [low, high] = [lowIdentity.id, highIdentity.id]
    const a = net.add({ identity: lowIdentity })
    const b = net.add({ identity: highIdentity })
    a.transport.send(b.id, ping(1))
    b.transport.send(a.id, ping(2))
    await net.clock.advance(20)
    expect(a.inbox.from(high)).toEqual([ping(2)])
    expect(b.inbox.from(low)).toEqual([ping(1)])
    expect(a.transport.stats().dropped.glare).toBe(1)
    expect(b.transport.stats().closed['glare-lost']).toBe(1)
    expect(a.transport.peers()).toMatchObject([{ initiator: true, state: 'open' }])
    expect(b.transport.peers()).toMatchObject([{ initiator: false, state: 'open' }])
    expect(b.events.filter((e) => e.type === 'failed')).toEqual([])
  })

  it('replaces its connection when the remote dials again', async () => {
    const net = new FakeNetwork()
    const a = net.add()
    const b = net.add()
    a.transport.send(b.id, ping(1))
    await net.clock.advance(10)
    // b's side went away without a close reaching a (e.g. a reload); b dials anew.
    net.peers.all[1]!.delivers = false
    b.transport.disconnect(a.id)
    b.transport.send(a.id, ping(2))
    await net.clock.advance(10)
    expect(a.inbox.from(b.id)).toEqual([ping(2)])
    expect(a.transport.peers()).toMatchObject([{ initiator: false, state: 'open' }])
    expect(a.transport.stats().closed).toMatchObject({ replaced: 1, 'remote-closed': 0 })
    expect(a.events.filter((e) => e.type === 'disconnected')).toEqual([{ type: 'disconnected', id: b.id, reason: 'replaced' }])
  })

  it('counts and ignores bad and stale signals', async () => {
    const net = new FakeNetwork()
    const a = net.add()
    const bIdentity = generateIdentity()
    net.add({ identity: bIdentity })
    const inject = net.signaling.signaler(bIdentity.id)
    let seq = net.clock.now() * 1000
    const sealed = async (envelope: SignalEnvelope, to = a.id): Promise<SignalData> => signalData(await sealSignal(bIdentity, nobleSuite(bIdentity), to, ++seq, envelope))
    inject.send(a.id, await sealed({ v: 1, session: 5, kind: 'answer', sdp: 'fake 0' })) // stale: no such attempt
    inject.send(a.id, { kind: 'offer' } as never) // not signed
    net.signaling.signaler(a.id).send(a.id, await sealed({ v: 1, session: 5, kind: 'refuse' })) // from b, but carried as from a
    inject.send(a.id, await sealed({ v: 1, session: 6, kind: 'refuse' }, net.add().id)) // addressed to another node
    await net.clock.advance(5)
    expect(a.transport.stats().dropped).toMatchObject({ 'stale-signal': 1, 'bad-signal': 3 })
    expect(a.transport.stats().signalsRejected).toMatchObject({ malformed: 1, 'wrong-signer': 1, 'not-for-us': 1 })
    expect(a.transport.peers()).toEqual([])
  })

  it('drops every connection, timer and listener on close', async () => {
    const net = new FakeNetwork()
    const a = net.add()
    const others = [net.add(), net.add(), net.add()]
    for (const other of others) a.transport.send(other.id, ping(1))
    await net.clock.advance(10)
    expect(a.transport.stats().open).toBe(3)
    for (const node of [a, ...others]) node.transport.close()
    await net.clock.advance(a.transport.options.byeLingerMs + 10)
    expect(net.peers.live()).toEqual([])
    expect(net.clock.pending).toBe(0)
    a.transport.send(others[0]!.id, ping(2))
    expect(a.transport.stats().dropped['transport-closed']).toBe(1)
  })

  it('rejects options outside their range with ERR_INVALID_OPTION', () => {
    const net = new FakeNetwork()
    for (const bad of [{ maxConnections: 0 }, { maxConnections: 1.5 }, { heartbeatIntervalMs: -1 }, { connectTimeoutMs: Number.NaN }]) {
      expect(() => net.add(bad)).toThrow(expect.objectContaining({ code: TransportErrorCode.INVALID_OPTION }))
    }
    const identity = { ...generateIdentity(), id: new Uint8Array(3) }
    expect(() => new WebRtcTransport({ identity, peerFactory: net.peers.factory })).toThrow(
      expect.objectContaining({ code: TransportErrorCode.INVALID_OPTION }),
    )
  })
})

describe('the connection budget (fake peers, virtual clock)', () => {
  it('never holds more than maxConnections and drops messages to new peers when none is idle', async () => {
    const net = new FakeNetwork()
    const a = net.add({ maxConnections: 3, idleAfterMs: 60_000 })
    const others = Array.from({ length: 6 }, () => net.add())
    let most = 0
    const watch = () => (most = Math.max(most, a.transport.peers().length))
    for (const other of others) {
      a.transport.send(other.id, ping(1))
      watch()
    }
    await net.clock.advance(20)
    watch()
    expect(most).toBe(3)
    expect(a.transport.stats()).toMatchObject({ open: 3, connectionsCreated: 3, peakConnections: 3 })
    expect(a.transport.stats().dropped['budget-full']).toBe(3)
  })

  it('refuses an incoming connection when full, and the dialer gives up at once', async () => {
    const net = new FakeNetwork()
    const a = net.add({ maxConnections: 1 })
    const b = net.add()
    const c = net.add()
    a.transport.send(b.id, ping(1))
    await net.clock.advance(10)
    c.transport.send(a.id, ping(2))
    await net.clock.advance(10)
    expect(a.transport.stats().dropped.refused).toBe(1)
    expect(c.events).toEqual([{ type: 'failed', id: a.id, reason: 'refused' }])
    expect(c.transport.stats().dropped['connect-failed']).toBe(1)
    expect(a.transport.peers().map((p) => toHex(p.id))).toEqual([toHex(b.id)])
  })

  it('closes the least recently used idle connection to make room', async () => {
    const net = new FakeNetwork()
    const a = net.add({ maxConnections: 2, idleAfterMs: 1000 })
    const [b, c, d] = [net.add(), net.add(), net.add()]
    a.transport.send(b.id, ping(1))
    await net.clock.advance(10)
    a.transport.connect(c.id)
    a.transport.send(c.id, ping(2))
    await net.clock.advance(500)
    a.transport.send(b.id, ping(3))
    await net.clock.advance(600)
    // c was used 1100 ms ago, b 600 ms ago: only c is idle.
    expect(a.transport.connect(d.id)).toBe(true)
    a.transport.send(d.id, ping(4))
    await net.clock.advance(10)
    expect(a.events).toContainEqual({ type: 'disconnected', id: c.id, reason: 'evicted' })
    expect(c.events).toContainEqual({ type: 'disconnected', id: a.id, reason: 'remote-evicted' })
    expect(hex(a.transport.peers().map((p) => p.id))).toEqual(hex([b.id, d.id]))
    expect(d.inbox.from(a.id)).toEqual([ping(4)])
    expect(a.transport.stats().connectionsCreated).toBe(3)
  })
})
