import { afterEach, describe, expect, it } from 'vitest'
import { toHex, wireLimits } from '@browser-dht/kademlia'
import type { PeerFactory } from '../src/peer/peer.ts'
import type { CloseReason } from '../src/stats.ts'
import type { WebRtcTransport } from '../src/webrtc-transport.ts'
import { ping, realPeers, TestNetwork, waitFor } from './helpers/network.ts'

const net = new TestNetwork()
afterEach(() => net.closeAll())

/** Real peers whose outgoing channel messages can be switched off (a peer that stopped answering). */
function muteable(): { factory: PeerFactory; mute: () => void } {
  let muted = false
  const factory: PeerFactory = (init, events) => {
    const peer = realPeers(init, events)
    return {
      signal: (data) => peer.signal(data),
      send: (data) => {
        if (!muted) peer.send(data)
      },
      destroy: () => peer.destroy(),
      get bufferSize() {
        return peer.bufferSize
      },
    }
  }
  return { factory, mute: () => (muted = true) }
}

function disconnections(transport: WebRtcTransport): { id: string; reason: CloseReason }[] {
  const seen: { id: string; reason: CloseReason }[] = []
  transport.on('peer:disconnected', (e) => seen.push({ id: toHex(e.id), reason: e.reason }))
  return seen
}

describe('connection lifecycle over WebRTC', () => {
  it('reports a peer that closes its transport and removes it', async () => {
    const a = net.add()
    const b = net.add()
    const seen = disconnections(a.transport)
    a.transport.send(b.id, ping(1))
    await waitFor(() => b.inbox.received.length === 1, 10_000, 'first message')
    b.transport.close()
    await waitFor(() => seen.length === 1, 10_000, 'disconnect event')
    expect(seen).toEqual([{ id: toHex(b.id), reason: 'remote-left' }])
    expect(a.transport.peers()).toEqual([])
    expect(a.transport.stats()).toMatchObject({ open: 0, connecting: 0 })
  })

  it('detects by heartbeat a peer whose channel stays open but that stops answering', async () => {
    const quick = { heartbeatIntervalMs: 100, heartbeatMaxMissed: 2 }
    const { factory, mute } = muteable()
    const a = net.add(quick)
    const b = net.add({ ...quick, peerFactory: factory })
    const seen = disconnections(a.transport)
    a.transport.send(b.id, ping(1))
    await waitFor(() => b.inbox.received.length === 1, 10_000, 'first message')
    await waitFor(() => a.transport.stats().pongsReceived >= 2, 5000, 'pongs')
    expect(a.transport.peers()[0]!.rttMs).toBeTypeOf('number')
    const mutedAt = Date.now()
    mute()
    await waitFor(() => seen.length === 1, 5000, 'heartbeat failure')
    const detectMs = Date.now() - mutedAt
    expect(seen).toEqual([{ id: toHex(b.id), reason: 'heartbeat' }])
    expect(detectMs).toBeGreaterThanOrEqual(250)
    expect(detectMs).toBeLessThan(1500)
  })

  it('refuses oversized messages on the way out and drops oversized frames on the way in, and counts both', async () => {
    const big = wireLimits(100 * 1024)
    const a = net.add({ limits: big })
    const b = net.add()
    const value = new Uint8Array(80 * 1024).fill(1)
    b.transport.send(a.id, { type: 'VALUE', rid: 1, nodes: [], records: [{ record: { kind: 'immutable', value }, ttlMs: 1000 }] })
    expect(b.transport.stats().dropped['message-too-large']).toBe(1)
    expect(b.transport.stats().connectionsCreated).toBe(0)

    a.transport.send(b.id, { type: 'VALUE', rid: 2, nodes: [], records: [{ record: { kind: 'immutable', value }, ttlMs: 1000 }] })
    a.transport.send(b.id, ping(3))
    await waitFor(() => b.inbox.received.length === 1, 10_000, 'the small message')
    expect(b.inbox.from(a.id)).toEqual([ping(3)])
    expect(b.transport.stats().dropped['frame-too-large']).toBe(1)
    expect(b.transport.isConnected(a.id)).toBe(true)
  })

  it('never holds more connections than its budget, however many peers dial it or it dials', async () => {
    const a = net.add({ maxConnections: 3, idleAfterMs: 60_000 })
    const others = Array.from({ length: 6 }, () => net.add())
    let most = 0
    const watch = () => (most = Math.max(most, a.transport.peers().length))
    a.transport.on('peer:connected', watch)
    const failed: string[] = []
    for (const [i, other] of others.entries()) {
      other.transport.on('connect:failed', (e) => failed.push(e.reason))
      if (i % 2 === 0) a.transport.send(other.id, ping(i))
      else other.transport.send(a.id, ping(i))
      watch()
    }
    await waitFor(() => a.transport.stats().open + failed.length + a.transport.stats().dropped['budget-full'] === 6, 10_000, 'all attempts settled')
    expect(most).toBeLessThanOrEqual(3)
    expect(a.transport.stats().connectionsCreated).toBe(3)
    expect(a.transport.stats().open).toBe(3)
    expect(failed.every((reason) => reason === 'refused')).toBe(true)
  })
})
