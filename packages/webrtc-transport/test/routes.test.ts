import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareDistance, type Id, idEquals, toHex, VirtualClock } from '@browser-dht/kademlia'
import { generateIdentity } from '@browser-dht/identity/noble'
import { Sequencer } from '../src/auth/sequencer.ts'
import { resolveOptions } from '../src/options.ts'
import { Neighbours } from '../src/overlay/neighbours.ts'
import { RelayRouter } from '../src/overlay/relays.ts'
import { nextHop, RouteHints } from '../src/overlay/routes.ts'
import { Counters } from '../src/stats.ts'
import { parseFrame, type RelayFrame, RelayKind } from '../src/wire/frames.ts'

const id = fc.uint8Array({ minLength: 20, maxLength: 20 })

describe('next hop of a relay', () => {
  it('in the middle of a path, only ever hands on to a peer strictly closer to the target, never back', () => {
    fc.assert(
      fc.property(id, id, fc.array(id, { maxLength: 12 }), fc.nat(12), fc.nat(12), (self, target, open, fromAt, hintAt) => {
        const from: Id | undefined = open[fromAt]
        // A referral hint (a name in an answer) must make progress like any other hop.
        const hint: Id | undefined = open[hintAt]
        const hop = nextHop({ self, target, open, from, hint: hint && { via: hint, kind: 'referral' }, requireCloser: true })
        if (hop === undefined) {
          // No peer other than `from` is closer than this node.
          for (const peer of open) if (peer !== from) expect(compareDistance(target, peer, self)).toBeGreaterThanOrEqual(0)
          return
        }
        expect(hop).not.toBe(from)
        expect(compareDistance(target, hop, self)).toBeLessThan(0)
        if (hop !== hint) for (const peer of open) if (peer !== from) expect(compareDistance(target, hop, peer)).toBeLessThanOrEqual(0)
      }),
    )
  })

  it('at the origin, takes the closest open peer even if farther than itself, and a hint first', () => {
    const self = new Uint8Array(20)
    const target = new Uint8Array(20).fill(0x01)
    const far = new Uint8Array(20).fill(0xf0)
    const farther = new Uint8Array(20).fill(0xff)
    expect(nextHop({ self, target, open: [farther, far], requireCloser: false })).toBe(far)
    expect(nextHop({ self, target, open: [farther, far], requireCloser: true })).toBeUndefined()
    const referral = { via: farther, kind: 'referral' as const }
    const reverse = { via: farther, kind: 'reverse' as const }
    expect(nextHop({ self, target, open: [farther, far], hint: referral, requireCloser: false })).toBe(farther)
    // In the middle of a path, a reverse hint (a path a frame just took) is followed even when it
    // is not closer; a referral is not.
    expect(nextHop({ self, target, open: [farther, far], hint: reverse, requireCloser: true })).toBe(farther)
    expect(nextHop({ self, target, open: [farther, far], hint: referral, requireCloser: true })).toBeUndefined()
    // A hint with no open channel, or pointing back where the frame came from, is ignored.
    expect(nextHop({ self, target, open: [far], hint: referral, requireCloser: false })).toBe(far)
    expect(nextHop({ self, target, open: [far, farther], hint: reverse, from: farther, requireCloser: false })).toBe(far)
  })

  it('remembers the latest hint per target within its capacity', () => {
    const hints = new RouteHints(3)
    const ids = Array.from({ length: 5 }, (_, i) => new Uint8Array(20).fill(i + 1))
    hints.learn(ids[0]!, ids[1]!, 'referral')
    hints.learn(ids[0]!, ids[2]!, 'reverse')
    hints.learn(ids[0]!, ids[3]!, 'referral') // a name in an answer does not replace a path that worked
    expect(toHex(hints.get(ids[0]!)!.via)).toBe(toHex(ids[2]!))
    for (const target of ids) hints.learn(target, ids[4]!, 'reverse')
    expect(hints.size).toBe(3)
    expect(hints.get(ids[0]!)).toBeUndefined()
    hints.learn(ids[3]!, ids[3]!, 'reverse') // a node is never its own hint
    expect(toHex(hints.get(ids[3]!)!.via)).toBe(toHex(ids[4]!))
  })
})

/** A router at `self` with open channels to `open`, recording what it sends. */
function router(self: Id, open: Id[]) {
  const clock = new VirtualClock(1_000_000)
  const sent: { to: Id; frame: Uint8Array }[] = []
  const counters = new Counters()
  const isOpen = (id: Id): boolean => open.some((o) => idEquals(o, id))
  const send = (to: Id, frame: Uint8Array): undefined => void sent.push({ to, frame })
  const neighbours = new Neighbours({ self, clock, delayMs: 1000, counters, links: { open: () => open.map((remote) => ({ remote, sendFrame: (frame) => send(remote, frame) })), isOpen } })
  const relays = new RelayRouter({
    self,
    options: resolveOptions({ identity: generateIdentity(), clock, idPuzzleBits: 0, peerFactory: () => { throw new Error('no connections here') } }),
    counters,
    sequencer: new Sequencer(clock),
    links: { open: (except) => open.filter((id) => except === undefined || !idEquals(id, except)), isOpen, send },
    neighbours,
    seal: (_relay, message) => message,
    failed: () => {},
    passedOn: () => {},
  })
  /** The relay frame last sent, parsed. */
  const last = (): { to: Id; frame: RelayFrame } => {
    const { to, frame } = sent.at(-1)!
    const parsed = parseFrame(frame, 1 << 16)
    if (!parsed.ok || parsed.frame.type !== 'relay') throw new Error('not a relay')
    return { to, frame: parsed.frame }
  }
  return { relays, sent, counters, last, neighbours, clock }
}

describe('a relay router and stale hints', () => {
  const [self, target, b, c, origin] = [0x10, 0x7f, 0x20, 0x70, 0x30].map((byte) => new Uint8Array(20).fill(byte)) as [Id, Id, Id, Id, Id]

  it('forgets a hint whose relay came back UNDELIVERABLE from the peer it led to, and goes by distance next', () => {
    const r = router(self, [b, c])
    r.relays.hints.learn(target, b, 'reverse')
    r.relays.start(target, RelayKind.SIGNAL, Uint8Array.of(1))
    const first = r.last()
    expect(toHex(first.to)).toBe(toHex(b))
    // b cannot pass it on (the target left): the hint through b is forgotten, and the retry goes to c.
    r.relays.undeliverable(b, { type: 'undeliverable', reason: 'relay-no-route', target, origin: self, seq: first.frame.seq })
    expect(r.relays.hints.get(target)).toBeUndefined()
    expect(r.counters.hintsForgotten).toBe(1)
    expect(toHex(r.last().to)).toBe(toHex(c))
    r.relays.start(target, RelayKind.SIGNAL, Uint8Array.of(2))
    expect(toHex(r.last().to)).toBe(toHex(c)) // c is closer to the target than b
  })

  it('in the middle of a path too, but not for a full queue, nor from a peer it did not hand the frame to', () => {
    const r = router(self, [origin, b, c])
    r.relays.hints.learn(target, b, 'reverse')
    const relay = (seq: number): RelayFrame => ({ type: 'relay', hops: 8, kind: RelayKind.SIGNAL, detoured: false, target, origin, seq, replyTo: 0, body: Uint8Array.of(seq) })
    r.relays.forward(origin, relay(1))
    expect(toHex(r.last().to)).toBe(toHex(b))
    r.relays.undeliverable(c, { type: 'undeliverable', reason: 'relay-no-route', target, origin, seq: 1 }) // not the peer it went to
    r.relays.undeliverable(b, { type: 'undeliverable', reason: 'relay-queue-full', target, origin, seq: 1 }) // says nothing of the path
    expect(toHex(r.relays.hints.get(target)!.via)).toBe(toHex(b))
    r.relays.forward(origin, relay(2))
    r.relays.undeliverable(b, { type: 'undeliverable', reason: 'relay-hop-limit', target, origin, seq: 2 })
    expect(r.relays.hints.get(target)).toBeUndefined()
    expect(r.counters.hintsForgotten).toBe(1)
  })
})

describe('neighbour lists', () => {
  const [self, target, far, near, origin] = [0x10, 0x7f, 0x20, 0x70, 0x30].map((byte) => new Uint8Array(20).fill(byte)) as [Id, Id, Id, Id, Id]

  function routerHere(open: Id[]) {
    const r = router(self, open)
    return { ...r, lastTo: (): string => toHex(r.sent.at(-1)!.to) }
  }

  const relayTo = (seq: number) => ({ type: 'relay' as const, hops: 8, kind: RelayKind.DHT, detoured: false, target, origin, seq, replyTo: 0, body: Uint8Array.of(seq) })
  const seqOf = (frame: Uint8Array): number => (parseFrame(frame, 1 << 16) as { ok: true; frame: RelayFrame }).frame.seq

  it('sends a request of its own to the peer that lists its target, before a hint and the greedy hop; not an answer, nor a relay of others', () => {
    const r = routerHere([origin, far, near])
    r.relays.hints.learn(target, near, 'reverse')
    r.neighbours.heard(far, [self, target]) // far is the farther from the target, but has a channel to it
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(1), undefined, true)
    expect(r.lastTo()).toBe(toHex(far))
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(2)) // an answer retraces its request's way (the hint)
    expect(r.lastTo()).toBe(toHex(near))
    r.relays.forward(origin, relayTo(7)) // on the way, nobody can tell whether a listing worked
    expect(r.lastTo()).toBe(toHex(near))
  })

  it('sends one request at a time through a listing: the next waits for an answer naming the first, whatever the peer lists meanwhile', () => {
    const r = routerHere([far, near])
    r.neighbours.heard(far, [target])
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(1), undefined, true)
    expect(r.lastTo()).toBe(toHex(far))
    const first = seqOf(r.sent.at(-1)!.frame)
    r.neighbours.heard(far, [target]) // listing it again changes nothing
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(2), undefined, true)
    expect(r.lastTo()).toBe(toHex(near))
    expect(r.counters.neighbourListingsPassedOver).toBe(1)
    r.neighbours.answered(target, seqOf(r.sent.at(-1)!.frame)) // an answer to the other request proves nothing of far
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(3), undefined, true)
    expect(r.lastTo()).toBe(toHex(near))
    r.neighbours.answered(target, first)
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(4), undefined, true)
    expect(r.lastTo()).toBe(toHex(far))
  })

  it('never again uses a listing whose relay came back UNDELIVERABLE from the peer that listed it', () => {
    const r = routerHere([far, near])
    r.neighbours.heard(far, [target])
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(1), undefined, true)
    const first = seqOf(r.sent.at(-1)!.frame)
    r.relays.undeliverable(far, { type: 'undeliverable', reason: 'relay-no-route', target, origin: self, seq: first })
    expect(r.counters.hintsForgotten).toBe(1)
    expect(r.lastTo()).toBe(toHex(near)) // the retry went by distance
    r.neighbours.answered(target, seqOf(r.sent.at(-1)!.frame))
    r.neighbours.answered(target, first) // not even an answer naming that very request brings it back
    r.neighbours.heard(far, [target])
    expect(r.neighbours.via(target)).toBeUndefined()
  })

  it('sends this node\'s open links to each of them once, the delay after they changed, and none while nothing changes', async () => {
    const r = routerHere([far, near])
    r.neighbours.changed()
    r.neighbours.changed()
    await r.clock.advance(999)
    expect(r.sent).toHaveLength(0)
    await r.clock.advance(1)
    expect(r.sent.map((s) => toHex(s.to))).toEqual([toHex(far), toHex(near)])
    const parsed = parseFrame(r.sent[0]!.frame, 1 << 16)
    expect(parsed.ok && parsed.frame.type === 'neighbours' && parsed.frame.ids.map(toHex)).toEqual([toHex(far), toHex(near)])
    expect(r.counters.neighbourListsSent).toBe(2)
    await r.clock.advance(60_000)
    expect(r.sent).toHaveLength(2)
    r.neighbours.changed()
    r.neighbours.close()
    await r.clock.advance(60_000)
    expect(r.sent).toHaveLength(2)
  })

  it('ignores every list of a peer with 64 listings unanswered, and remembers no more of them', () => {
    const r = routerHere([far, near])
    const targets = Array.from({ length: 70 }, (_, i) => new Uint8Array(20).fill(0x80 + i))
    r.neighbours.heard(far, targets)
    targets.slice(0, 68).forEach((t, i) => r.neighbours.sent(t, far, i + 1))
    expect(r.neighbours.via(targets[69]!)).toBeUndefined() // far has 64 unanswered (the last target was never sent to)
    // The sends beyond 64 were not remembered: one answer brings far below the cap again.
    r.neighbours.answered(targets[0]!, 1)
    expect(toHex(r.neighbours.via(targets[69]!)!)).toBe(toHex(far))
  })

  it('sends one request at a time to a target through any listing: a second peer listing it, or the same peer on a new link, does not draw the next', () => {
    const [far2] = [new Uint8Array(20).fill(0x21)] as [Id]
    const r = routerHere([far, far2, near])
    r.neighbours.heard(far, [target])
    r.neighbours.heard(far2, [target])
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(1), undefined, true)
    expect(r.lastTo()).toBe(toHex(far))
    // far drops it silently; the next request to the target goes by distance, not through far2.
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(2), undefined, true)
    expect(r.lastTo()).toBe(toHex(near))
    // far's link is replaced (a new connection forgets what the old one listed), and far lists the target again.
    r.neighbours.forget(far)
    r.neighbours.heard(far, [target])
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(3), undefined, true)
    expect(r.lastTo()).toBe(toHex(near))
    // The target answered a request of ours (the one that went by distance): far2's listing may carry the next.
    r.neighbours.answered(target, seqOf(r.sent.at(-1)!.frame))
    r.relays.start(target, RelayKind.DHT, Uint8Array.of(4), undefined, true)
    expect([toHex(far), toHex(far2)]).toContain(r.lastTo())
  })

  it('keeps no listing of this node itself, and none from a peer whose link is not open', () => {
    const r = routerHere([far])
    r.neighbours.heard(far, [self])
    expect(r.neighbours.via(self)).toBeUndefined()
    r.neighbours.heard(near, [target]) // near has no open link here
    expect(r.neighbours.via(target)).toBeUndefined()
  })
})
