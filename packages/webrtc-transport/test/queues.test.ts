import { describe, expect, it } from 'vitest'
import { toHex } from '@browser-dht/kademlia'
import { FrameType } from '../src/wire/frames.ts'
import { FakeNetwork } from './helpers/fake-network.ts'
import { ping } from './helpers/messages.ts'

describe('outgoing queues and backpressure (fake peers, virtual clock)', () => {
  it('queues frames while the channel is above the high-water mark and sends them as it drains', async () => {
    const net = new FakeNetwork()
    const a = net.add({ highWaterMarkBytes: 1000, drainIntervalMs: 20 })
    const b = net.add()
    a.transport.send(b.id, ping(0))
    await net.clock.advance(10)
    expect(b.inbox.received).toHaveLength(1)
    const channel = net.peers.all[0]!
    channel.bufferSize = 1000
    for (let rid = 1; rid <= 5; rid++) a.transport.send(b.id, ping(rid))
    await net.clock.advance(100)
    expect(b.inbox.received).toHaveLength(1)
    expect(a.transport.peers()[0]).toMatchObject({ state: 'open' })
    channel.bufferSize = 999
    await net.clock.advance(30)
    expect(b.inbox.received.map((r) => r.message)).toEqual([0, 1, 2, 3, 4, 5].map(ping))
    expect(a.transport.stats().dropped['send-queue-full']).toBe(0)
  })

  it('drops frames beyond maxQueuedFrames while the channel is congested and counts them', async () => {
    const net = new FakeNetwork()
    const a = net.add({ highWaterMarkBytes: 1000, maxQueuedFrames: 3 })
    const b = net.add()
    a.transport.send(b.id, ping(0))
    await net.clock.advance(10)
    net.peers.all[0]!.bufferSize = 5000
    for (let rid = 1; rid <= 5; rid++) a.transport.send(b.id, ping(rid))
    expect(a.transport.stats().dropped['send-queue-full']).toBe(2)
    net.peers.all[0]!.bufferSize = 0
    await net.clock.advance(50)
    expect(b.inbox.received.map((r) => r.message)).toEqual([0, 1, 2, 3].map(ping))
  })

  it('bounds the queued bytes as well as the queued frames', async () => {
    const net = new FakeNetwork({ signaling: { latencyMs: 50 } })
    const a = net.add({ maxQueuedBytes: 3 * 7 })
    const b = net.add()
    for (let rid = 0; rid < 5; rid++) a.transport.send(b.id, ping(rid))
    expect(a.transport.stats().dropped['pending-queue-full']).toBe(2)
  })

  it('queues at most maxQueuedFrames for a connection that is still opening and drops the rest', async () => {
    const net = new FakeNetwork({ signaling: { latencyMs: 50 } })
    const a = net.add({ maxQueuedFrames: 4 })
    const b = net.add()
    for (let rid = 0; rid < 10; rid++) a.transport.send(b.id, ping(rid))
    expect(a.transport.stats()).toMatchObject({ connecting: 1, connectionsCreated: 1 })
    expect(a.transport.stats().dropped['pending-queue-full']).toBe(6)
    await net.clock.advance(500)
    expect(b.inbox.from(a.id)).toEqual([0, 1, 2, 3].map(ping))
  })

  it('gives up a connection that never opens after connectTimeoutMs and counts the messages it held', async () => {
    const net = new FakeNetwork({ signaling: { filter: () => false } })
    const a = net.add({ connectTimeoutMs: 1000 })
    const b = net.add()
    for (let rid = 0; rid < 3; rid++) a.transport.send(b.id, ping(rid))
    await net.clock.advance(999)
    expect(a.transport.stats().connecting).toBe(1)
    await net.clock.advance(1)
    expect(a.events).toEqual([{ type: 'failed', id: b.id, reason: 'connect-timeout' }])
    expect(a.transport.stats()).toMatchObject({ connecting: 0, open: 0 })
    expect(a.transport.stats().dropped['connect-failed']).toBe(3)
    expect(a.transport.stats().closed['connect-timeout']).toBe(1)
    expect(net.peers.all[0]!.destroyed).toBe(true)
  })

  it('refuses messages larger than the wire limit before any connection is made', () => {
    const net = new FakeNetwork()
    const a = net.add({ limits: { maxValueBytes: 100, maxMessageBytes: 200 } })
    const b = net.add()
    a.transport.send(b.id, { type: 'VALUE', rid: 1, nodes: [], records: [{ record: { kind: 'immutable', value: new Uint8Array(300) }, ttlMs: 1 }] })
    expect(a.transport.stats().dropped['message-too-large']).toBe(1)
    expect(a.transport.stats().connectionsCreated).toBe(0)
    a.transport.send(a.id, ping(1))
    expect(a.transport.stats().dropped.self).toBe(1)
  })

  it('answers pings with pongs and measures the round trip', async () => {
    const net = new FakeNetwork()
    const a = net.add({ heartbeatIntervalMs: 1000 })
    const b = net.add({ heartbeatIntervalMs: 1000 })
    a.transport.send(b.id, ping(1))
    await net.clock.advance(2500)
    const [fromA, fromB] = [net.peers.all[0]!, net.peers.all[1]!]
    expect(fromA.sentOfType(FrameType.PING).length).toBeGreaterThan(0)
    expect(fromB.sentOfType(FrameType.PONG).length).toBe(fromA.sentOfType(FrameType.PING).length)
    expect(a.transport.stats().pongsReceived).toBeGreaterThan(0)
    expect(a.transport.peers()[0]!.rttMs).toBe(2)
    expect(toHex(a.transport.peers()[0]!.id)).toBe(toHex(b.id))
  })
})
