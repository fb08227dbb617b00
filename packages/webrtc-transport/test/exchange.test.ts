import { afterEach, describe, expect, it } from 'vitest'
import { decodeMessage, DEFAULT_WIRE_LIMITS, encodeMessage, keyOf, type Message, toHex } from '@browser-dht/kademlia'
import { orderedIdentities, ping, TestNetwork, waitFor } from './helpers/network.ts'

const net = new TestNetwork()
afterEach(() => net.closeAll())

const messages: Message[] = [
  { type: 'PING', rid: 1 },
  { type: 'FIND_NODE', rid: 2, target: keyOf('target'), count: 20 },
  { type: 'STORE', rid: 3, mode: 'publish', ttlMs: 60_000, key: keyOf('k'), record: { kind: 'immutable', value: new Uint8Array(4096).fill(7) } },
  { type: 'NODES', rid: 4, nodes: [keyOf('a'), keyOf('b')] },
]

describe('exchanging DHT messages over WebRTC', () => {
  it('carries typed DHT messages both ways between two transports, each tagged with the signaled ID', async () => {
    const a = net.add()
    const b = net.add()
    for (const message of messages) a.transport.send(b.id, message)
    await waitFor(() => b.inbox.received.length === messages.length, 10_000, 'messages at b')
    for (const message of messages) b.transport.send(a.id, message)
    await waitFor(() => a.inbox.received.length === messages.length, 10_000, 'messages at a')

    expect(b.inbox.from(a.id)).toEqual(messages)
    expect(a.inbox.from(b.id)).toEqual(messages)
    for (const message of messages) {
      expect(decodeMessage(encodeMessage(message), DEFAULT_WIRE_LIMITS)).toEqual({ ok: true, message })
    }
    expect(a.transport.isConnected(b.id)).toBe(true)
    expect(a.transport.stats()).toMatchObject({ open: 1, connecting: 0, connectionsCreated: 1, connectionsOpened: 1 })
    expect(b.transport.stats()).toMatchObject({ open: 1, connectionsCreated: 1 })
    expect(b.transport.peers().map((p) => ({ id: toHex(p.id), initiator: p.initiator }))).toEqual([{ id: toHex(a.id), initiator: false }])
  })

  it('connects several transports pairwise and delivers every message to the right node from the right node', async () => {
    const peers = Array.from({ length: 5 }, () => net.add())
    let rid = 0
    for (const sender of peers) {
      for (const receiver of peers) if (sender !== receiver) sender.transport.send(receiver.id, ping(rid++))
    }
    const expected = peers.length - 1
    await waitFor(() => peers.every((p) => p.inbox.received.length === expected), 15_000, 'all messages')
    for (const receiver of peers) {
      const senders = receiver.inbox.received.map((r) => toHex(r.from)).sort()
      expect(senders).toEqual(peers.filter((p) => p !== receiver).map((p) => toHex(p.id)).sort())
      expect(receiver.transport.stats().open).toBe(expected)
    }
  })

  it('keeps exactly one connection when both nodes dial each other at once, the one dialed by the lower ID', async () => {
    const { low: lowIdentity, high: highIdentity } = orderedIdentities()
    const [low, high] = [lowIdentity.id, highIdentity.id]
    const a = net.add({ identity: lowIdentity })
    const b = net.add({ identity: highIdentity })
    a.transport.send(b.id, ping(1))
    b.transport.send(a.id, ping(2))
    await waitFor(() => a.inbox.received.length === 1 && b.inbox.received.length === 1, 10_000, 'both messages')

    expect(a.transport.stats().dropped.glare).toBe(1)
    expect(b.transport.stats().closed['glare-lost']).toBe(1)
    expect(a.transport.peers()).toMatchObject([{ state: 'open', initiator: true }])
    expect(b.transport.peers()).toMatchObject([{ state: 'open', initiator: false }])
    expect(a.inbox.from(high)).toEqual([ping(2)])
    expect(b.inbox.from(low)).toEqual([ping(1)])
  })

  it('sends only loopback candidates and no ICE servers', async () => {
    const seen: string[] = []
    const watched = new TestNetwork({
      filter: (_from, _to, signal) => {
        if (signal?.kind === 'candidate') seen.push(signal.candidate)
        if (signal?.kind === 'offer' || signal?.kind === 'answer') seen.push(...signal.sdp.split('\r\n').filter((l: string) => l.startsWith('a=candidate')))
        return true
      },
    })
    try {
      const a = watched.add()
      const b = watched.add()
      a.transport.send(b.id, ping(1))
      await waitFor(() => b.inbox.received.length === 1, 10_000, 'message')
      expect(seen.length).toBeGreaterThan(0)
      for (const line of seen) expect(line.split(/\s+/)[4]).toBe('127.0.0.1')
      expect(a.transport.options.iceServers).toEqual([])
    } finally {
      watched.closeAll()
    }
  })
})
