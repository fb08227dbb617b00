import { type Random, seededRandom } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { Introductions } from '../src/server/introductions.ts'

const id = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(40 - prefix.length, '0')}`
const joiner = id('f', 0)

function setup(seed = 1, minAgeMs = 30_000) {
  let now = 0
  let draws = 0
  const seeded = seededRandom(seed)
  const random: Random = { bytes: (n) => seeded.bytes(n), float: () => (draws++, seeded.float()) }
  const introductions = new Introductions({ random, now: () => now, minAgeMs })
  return {
    introductions,
    advance: (ms: number) => void (now += ms),
    draws: () => draws,
  }
}

describe('Introductions', () => {
  it('introduces the long-registered peers of other networks and at most one of a fresh burst from one network', () => {
    const { introductions, advance } = setup()
    for (let n = 0; n < 3; n++) introductions.add(id('a', n), `198.51.${n}.0/24`)
    advance(60_000)
    for (let n = 0; n < 50; n++) introductions.add(id('e', n), '203.0.113.0/24')
    introductions.add(joiner, '192.0.2.0/24')
    for (let round = 0; round < 100; round++) {
      const peers = introductions.sample(8, joiner)
      expect(peers.filter((peer) => peer.startsWith('a')).sort()).toEqual([0, 1, 2].map((n) => id('a', n)))
      expect(peers.filter((peer) => peer.startsWith('e'))).toHaveLength(1)
      expect(peers).toHaveLength(4)
    }
  })

  it('introduces every registered peer when all fit in one reply, recent or not, never the asker', () => {
    const { introductions } = setup()
    introductions.add(joiner, '192.0.2.0/24')
    for (let n = 0; n < 8; n++) introductions.add(id('a', n), '192.0.2.0/24')
    expect(introductions.sample(8, joiner).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => id('a', n)))
    introductions.add(id('a', 8), '192.0.2.0/24')
    expect(introductions.sample(8, joiner)).toHaveLength(1) // nine recent of one network: one
  })

  it('counts a peer as long-registered once introduceMinAgeMs has passed, and a re-registration starts again', () => {
    const { introductions, advance } = setup()
    for (let n = 0; n < 12; n++) introductions.add(id('a', n), '198.51.100.0/24')
    expect(introductions.sample(8, joiner)).toHaveLength(1) // all recent, one network
    advance(30_000)
    expect(introductions.sample(8, joiner)).toHaveLength(8) // long-registered: more of one network
    for (let n = 0; n < 6; n++) introductions.add(id('a', n), '198.51.100.0/24') // registered again: recent
    introductions.remove(id('a', 6))
    const peers = introductions.sample(8, joiner)
    expect(peers.sort()).toEqual([7, 8, 9, 10, 11].map((n) => id('a', n)))
  })

  it('takes one recent peer from each network not yet in the reply', () => {
    const { introductions } = setup()
    for (let n = 0; n < 20; n++) introductions.add(id('b', n), `10.${n % 4}.0.0/24`)
    const peers = introductions.sample(8, joiner)
    expect(peers).toHaveLength(4)
    expect(new Set(peers.map((peer) => parseInt(peer.slice(1), 16) % 4)).size).toBe(4)
  })

  it('never introduces the asker, even when it is the only one of its network', () => {
    const { introductions, advance } = setup(2, 0)
    introductions.add(joiner, '192.0.2.0/24')
    for (let n = 0; n < 9; n++) introductions.add(id('a', n), '192.0.2.0/24')
    introductions.add(id('b', 0), '192.0.3.0/24')
    advance(1)
    for (let round = 0; round < 20; round++) {
      const peers = introductions.sample(8, joiner)
      expect(peers).toHaveLength(8)
      expect(peers).not.toContain(joiner)
    }
  })

  it('draws a bounded number of random numbers per reply, however large the registry', () => {
    for (const networks of [1, 30, 2000]) {
      const { introductions, advance, draws } = setup(3)
      for (let n = 0; n < 1000; n++) introductions.add(id('a', n), `net${n % networks}`)
      advance(60_000)
      for (let n = 0; n < 1000; n++) introductions.add(id('e', n), `recent${n % networks}`)
      const before = draws()
      expect(introductions.sample(8, joiner)).toHaveLength(8)
      // Three phases of at most 8 × PROBES_PER_PICK probes, each one or two draws.
      expect(draws() - before).toBeLessThanOrEqual(3 * 2 * 8 * 4)
    }
  })
})
