import { VirtualClock } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { Negotiation } from '../src/link/negotiation.ts'
import { SendQueue } from '../src/link/send-queue.ts'
import type { PeerLike, PeerSignal } from '../src/peer/peer.ts'
import type { SignalEnvelope } from '../src/signaling/signal.ts'
import { Counters } from '../src/stats.ts'

/** A channel that records what is written and reports `bufferSize` as told. */
function channel(): PeerLike & { sent: Uint8Array[]; signals: PeerSignal[]; bufferSize: number } {
  return {
    sent: [],
    signals: [],
    bufferSize: 0,
    send(data) {
      this.sent.push(data)
    },
    signal(data) {
      this.signals.push(data)
    },
    destroy() {},
  }
}

function queue(open: { value: boolean }) {
  const clock = new VirtualClock()
  const counters = new Counters()
  const peer = channel()
  let failed = 0
  const options = { maxQueuedFrames: 3, maxQueuedBytes: 10, highWaterMarkBytes: 100, drainIntervalMs: 20, clock }
  const q = new SendQueue({ options, counters, peer: () => peer, isOpen: () => open.value, failed: () => failed++ })
  return { q, clock, counters, peer, failed: () => failed }
}

describe('a link send queue', () => {
  it('holds frames while connecting, within its frame and byte bounds, and writes them in order on drain', () => {
    const open = { value: false }
    const { q, peer } = queue(open)
    expect(q.push(Uint8Array.of(1, 1, 1, 1))).toBeUndefined()
    expect(q.push(Uint8Array.of(2, 2, 2, 2))).toBeUndefined()
    expect(q.push(Uint8Array.of(3, 3, 3))).toBe('pending-queue-full') // 11 bytes > 10
    expect(q.push(Uint8Array.of(4))).toBeUndefined()
    expect(q.push(Uint8Array.of(5))).toBe('pending-queue-full') // 4 frames > 3
    expect(peer.sent).toEqual([])
    open.value = true
    q.drain()
    expect(peer.sent.map((f) => f[0])).toEqual([1, 2, 4])
    expect(q.length).toBe(0)
  })

  it('writes at once when open and below the high-water mark, else queues and drains on its timer', async () => {
    const open = { value: true }
    const { q, peer, clock, counters } = queue(open)
    q.push(Uint8Array.of(1))
    expect(peer.sent.length).toBe(1)
    peer.bufferSize = 100
    expect(q.push(Uint8Array.of(2))).toBeUndefined()
    expect(q.length).toBe(1)
    await clock.advance(20)
    expect(q.length).toBe(1) // still congested
    peer.bufferSize = 0
    await clock.advance(20)
    expect(q.length).toBe(0)
    expect(peer.sent.map((f) => f[0])).toEqual([1, 2])
    expect(counters.framesSent).toBe(2)
    peer.bufferSize = 100
    q.push(Uint8Array.of(3))
    q.push(Uint8Array.of(4))
    q.push(Uint8Array.of(5))
    expect(q.push(Uint8Array.of(6))).toBe('send-queue-full')
    q.stop()
    expect(clock.pending).toBe(0)
    expect(q.take().length).toBe(3)
  })

  it('reports a write that throws as send-failed and asks the link to close', () => {
    const { q, peer, failed } = queue({ value: true })
    peer.send = () => {
      throw new Error('gone')
    }
    expect(q.push(Uint8Array.of(1))).toBe('send-failed')
    expect(failed()).toBe(1)
  })
})

describe('a link negotiation', () => {
  const offer = { type: 'offer', sdp: 'v=0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n' }
  const candidate = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } }

  function negotiation(initiator: boolean) {
    const counters = new Counters()
    const peer = channel()
    const sent: SignalEnvelope[] = []
    const n = new Negotiation({ session: 7, initiator, maxEarlyCandidates: 2, counters, peer: () => peer, send: (s) => sent.push(s), failed: () => {} })
    return { n, peer, sent, counters }
  }

  it('dialer: sends its offer without candidates and holds its own candidates until the answer arrives', () => {
    const { n, peer, sent, counters } = negotiation(true)
    n.emitted(offer)
    n.emitted(candidate)
    n.emitted(candidate)
    n.emitted(candidate)
    expect(sent.map((s) => s.kind)).toEqual(['offer'])
    expect(sent[0]!.kind === 'offer' && sent[0]!.sdp.includes('a=candidate')).toBe(false)
    expect(counters.dropped['candidate-overflow']).toBe(1)
    expect(n.apply({ v: 1, session: 7, kind: 'offer', sdp: 'x' })).toBe('stale-signal') // a dialer takes an answer only
    expect(n.apply({ v: 1, session: 7, kind: 'answer', sdp: 'x' })).toBeUndefined()
    expect(peer.signals).toEqual([{ type: 'answer', sdp: 'x' }])
    expect(sent.map((s) => s.kind)).toEqual(['offer', 'candidate', 'candidate'])
    expect(n.apply({ v: 1, session: 7, kind: 'answer', sdp: 'x' })).toBe('stale-signal') // only once
  })

  it('answerer: holds its candidates until its answer is sent', () => {
    const { n, sent } = negotiation(false)
    n.emitted(candidate)
    expect(sent).toEqual([])
    n.emitted({ type: 'answer', sdp: 'y' })
    expect(sent.map((s) => s.kind)).toEqual(['answer', 'candidate'])
    n.emitted(candidate)
    expect(sent.map((s) => s.kind)).toEqual(['answer', 'candidate', 'candidate'])
  })
})
