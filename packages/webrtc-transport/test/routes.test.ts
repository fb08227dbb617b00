import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareDistance, type Id, toHex } from '@browser-dht/kademlia'
import { nextHop, RouteHints } from '../src/overlay/routes.ts'

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
