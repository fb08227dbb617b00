import { describe, expect, it } from 'vitest'
import { cryptoRandom } from '@browser-dht/kademlia'
import { TransportError, TransportErrorCode } from '../src/errors.ts'
import { DEFAULTS } from '../src/options.ts'
import { FrameType, HEARTBEAT_FRAME_BYTES } from '../src/wire/frames.ts'
import { FakeNetwork, type FakeNode } from './helpers/fake-network.ts'
import { ping } from './helpers/messages.ts'

/** Two transports with an open channel from a to b (a's fake peer is `net.peers.all[0]`). */
async function connected(options: Parameters<FakeNetwork['add']>[0] = {}): Promise<{ net: FakeNetwork; a: FakeNode; b: FakeNode }> {
  const net = new FakeNetwork()
  const a = net.add(options)
  const b = net.add(options)
  a.transport.send(b.id, ping(1))
  await net.clock.advance(10)
  expect(a.transport.isConnected(b.id)).toBe(true)
  return { net, a, b }
}

/** The error code a probe rejected with, or 'resolved'. */
const outcome = (probe: Promise<number>): Promise<string> =>
  probe.then(
    () => 'resolved',
    (error: unknown) => (error instanceof TransportError ? error.code : String(error)),
  )

describe('probe: the raw data-channel round trip (fake peers, virtual clock)', () => {
  it('sends one 5-byte PING frame and resolves with the round trip when its PONG arrives', async () => {
    const { net, a, b } = await connected()
    const started = net.clock.now()
    const rtt = await net.clock.run(a.transport.probe(b.id))
    expect(rtt).toBe(2) // the fake channel takes 1 ms each way
    expect(net.clock.now() - started).toBe(2)
    const pings = net.peers.all[0]!.sentOfType(FrameType.PING)
    expect(pings).toHaveLength(1)
    expect(pings[0]).toHaveLength(HEARTBEAT_FRAME_BYTES)
    expect(net.peers.all[1]!.sentOfType(FrameType.PONG)).toEqual([Uint8Array.from([FrameType.PONG, ...pings[0]!.subarray(1)])])
    expect(a.transport.stats()).toMatchObject({ probesSent: 1, probesAnswered: 1, pingsSent: 0, pongsReceived: 0 })
  })

  it('answers several probes in flight at once, each by its own nonce', async () => {
    const { net, a, b } = await connected()
    const first = a.transport.probe(b.id)
    await net.clock.advance(1)
    const second = a.transport.probe(b.id)
    expect(await net.clock.run(Promise.all([first, second]))).toEqual([2, 2])
  })

  it('leaves the heartbeat alone: a probe PONG sets no heartbeat round trip, and the heartbeat still measures its own', async () => {
    const { net, a, b } = await connected({ heartbeatIntervalMs: 1000 })
    await net.clock.run(a.transport.probe(b.id))
    expect(a.transport.peers()[0]!.rttMs).toBeUndefined()
    expect(a.transport.peers()[0]!.lastUsed).toBeLessThan(net.clock.now())
    await net.clock.advance(3000) // silent channel: the heartbeat pings and gets its PONG
    expect(a.transport.stats().pingsSent).toBeGreaterThan(0)
    expect(a.transport.stats().pongsReceived).toBe(a.transport.stats().pingsSent)
    expect(a.transport.peers()[0]!.rttMs).toBe(2)
    expect(a.transport.stats()).toMatchObject({ probesSent: 1, probesAnswered: 1 })
    expect(a.transport.isConnected(b.id)).toBe(true)
  })

  it('counts a probe PONG as hearing from the peer (liveness), like any frame', async () => {
    const { net, a, b } = await connected({ heartbeatIntervalMs: 1000, heartbeatMaxMissed: 2 })
    // Probing every 500 ms keeps the channel from ever being silent for a whole interval.
    for (let i = 0; i < 20; i++) {
      await net.clock.run(a.transport.probe(b.id))
      await net.clock.advance(498)
    }
    expect(a.transport.stats().pingsSent).toBe(0)
    expect(a.transport.isConnected(b.id)).toBe(true)
  })

  it(`rejects with ERR_PROBE_TIMEOUT when no PONG comes within probeTimeoutMs (default ${DEFAULTS.probeTimeoutMs} ms)`, async () => {
    const { net, a, b } = await connected({ probeTimeoutMs: 500 })
    net.peers.all[1]!.delivers = false // b's PONG never reaches a
    const result = outcome(a.transport.probe(b.id))
    await net.clock.advance(499)
    const early = await Promise.race([result, Promise.resolve('pending')])
    expect(early).toBe('pending')
    await net.clock.advance(1)
    expect(await result).toBe(TransportErrorCode.PROBE_TIMEOUT)
    expect(a.transport.stats()).toMatchObject({ probesSent: 1, probesAnswered: 0 })
    expect(a.transport.isConnected(b.id)).toBe(true) // a probe timeout is not a heartbeat verdict
  })

  it('rejects with ERR_NOT_CONNECTED, without dialing, when there is no open channel', async () => {
    const net = new FakeNetwork()
    const a = net.add()
    const b = net.add()
    expect(await outcome(a.transport.probe(cryptoRandom().bytes(20)))).toBe(TransportErrorCode.NOT_CONNECTED)
    expect(a.transport.peers()).toEqual([])
    expect(net.peers.all).toHaveLength(0)
    a.transport.send(b.id, ping(1)) // connecting, not open yet
    expect(await outcome(a.transport.probe(b.id))).toBe(TransportErrorCode.NOT_CONNECTED)
    await net.clock.advance(10)
    expect(await net.clock.run(a.transport.probe(b.id))).toBe(2)
    a.transport.close()
    expect(await outcome(a.transport.probe(b.id))).toBe(TransportErrorCode.NOT_CONNECTED)
    expect(a.transport.stats().probesSent).toBe(1)
  })

  it('rejects a probe in flight with ERR_LINK_CLOSED when the connection closes, and leaves no timer', async () => {
    const { net, a, b } = await connected()
    net.peers.all[1]!.delivers = false
    const result = outcome(a.transport.probe(b.id))
    await net.clock.advance(1)
    a.transport.disconnect(b.id)
    expect(await result).toBe(TransportErrorCode.LINK_CLOSED)
    a.transport.close()
    b.transport.close()
    await net.clock.advance(a.transport.options.byeLingerMs + 10)
    expect(net.clock.pending).toBe(0)
  })
})
