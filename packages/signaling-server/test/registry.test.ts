import { seededRandom } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { Registry } from '../src/server/registry.ts'

const id = (n: number) => n.toString(16).padStart(40, '0')
/** Every ID in a network of its own, all long-registered: sampling is then plain random. */
const registry = <C>(seed: number) => new Registry<C>({ random: seededRandom(seed), now: () => 0, minAgeMs: 0 })
const net = (n: number) => `10.0.${n}.0/24`

describe('Registry', () => {
  it('samples distinct registered IDs and never the asker', () => {
    const ids = registry<string>(1)
    for (let n = 0; n < 20; n++) ids.set(id(n), `conn${n}`, net(n))
    for (let round = 0; round < 50; round++) {
      const sample = ids.sample(8, id(3))
      expect(new Set(sample).size).toBe(8)
      expect(sample).not.toContain(id(3))
    }
    expect(ids.sample(100, id(3))).toHaveLength(19)
    expect(ids.sample(100, id(99))).toHaveLength(20)
  })

  it('returns the replaced connection, and lets only the current holder unregister an ID', () => {
    const ids = registry<string>(2)
    expect(ids.set(id(1), 'old', net(1))).toBeUndefined()
    expect(ids.set(id(1), 'new', net(1))).toBe('old')
    ids.delete(id(1), 'old')
    expect(ids.get(id(1))).toBe('new')
    expect(ids.sample(8, id(2))).toEqual([id(1)])
    ids.delete(id(1), 'new')
    expect(ids.get(id(1))).toBeUndefined()
    expect(ids.size).toBe(0)
    expect(ids.sample(8, id(2))).toEqual([])
  })

  it('keeps sampling correct after removals from the middle', () => {
    const ids = registry<number>(3)
    for (let n = 0; n < 10; n++) ids.set(id(n), n, net(n))
    for (const n of [0, 5, 9, 2]) ids.delete(id(n), n)
    expect(ids.size).toBe(6)
    expect(ids.sample(10, id(1)).sort()).toEqual([3, 4, 6, 7, 8].map(id))
  })
})
