import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareDistance, type Id, idEquals, toHex, VirtualClock } from '@browser-dht/kademlia'
import { generateIdentity } from '@browser-dht/identity/noble'
import { Sequencer } from '../src/auth/sequencer.ts'
import { resolveOptions } from '../src/options.ts'
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

describe('a relay router and stale hints', () => {
  /** A router at `self` with open channels to `open`, recording what it sends. */
  function router(self: Id, open: Id[]) {
    const clock = new VirtualClock(1_000_000)
    const sent: { to: Id; frame: Uint8Array }[] = []
    const counters = new Counters()
    const relays = new RelayRouter({
      self,
      options: resolveOptions({ identity: generateIdentity(), clock, idPuzzleBits: 0, peerFactory: () => { throw new Error('no connections here') } }),
      counters,
      sequencer: new Sequencer(clock),
      links: { open: (except) => open.filter((id) => except === undefined || !idEquals(id, except)), isOpen: (id) => open.some((o) => idEquals(o, id)), send: (to, frame) => void sent.push({ to, frame }) },
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
    return { relays, sent, counters, last }
  }

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
