import { seededRandom } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { Registry } from '../src/server/registry.ts'

const id = (n: number) => n.toString(16).padStart(40, '0')

describe('Registry', () => {
  it('samples distinct registered IDs and never the asker', () => {
    const registry = new Registry<string>(seededRandom(1))
    for (let n = 0; n < 20; n++) registry.set(id(n), `conn${n}`)
    for (let round = 0; round < 50; round++) {
      const sample = registry.sample(8, id(3))
      expect(new Set(sample).size).toBe(8)
      expect(sample).not.toContain(id(3))
    }
    expect(registry.sample(100, id(3))).toHaveLength(19)
    expect(registry.sample(100, id(99))).toHaveLength(20)
  })

  it('returns the replaced connection, and lets only the current holder unregister an ID', () => {
    const registry = new Registry<string>(seededRandom(2))
    expect(registry.set(id(1), 'old')).toBeUndefined()
    expect(registry.set(id(1), 'new')).toBe('old')
    registry.delete(id(1), 'old')
    expect(registry.get(id(1))).toBe('new')
    registry.delete(id(1), 'new')
    expect(registry.get(id(1))).toBeUndefined()
    expect(registry.size).toBe(0)
  })

  it('keeps sampling correct after removals from the middle', () => {
    const registry = new Registry<number>(seededRandom(3))
    for (let n = 0; n < 10; n++) registry.set(id(n), n)
    for (const n of [0, 5, 9, 2]) registry.delete(id(n), n)
    expect(registry.size).toBe(6)
    expect(registry.sample(10, id(1)).sort()).toEqual([3, 4, 6, 7, 8].map(id))
  })
})
