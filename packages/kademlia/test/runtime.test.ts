import { afterEach, describe, expect, it, vi } from 'vitest'
import { cryptoRandom, RANDOM_POOL_BYTES } from '../src/platform/runtime.ts'

describe('cryptoRandom', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('hands out each byte the platform drew once, in order, and draws again only when the pool is spent', () => {
    let counter = 0
    let calls = 0
    vi.stubGlobal('crypto', {
      getRandomValues: (array: Uint8Array) => {
        calls++
        for (let i = 0; i < array.length; i++) array[i] = counter++ & 0xff
        return array
      },
    })
    const random = cryptoRandom()
    const drawn: number[] = []
    // Three-byte draws: the pool's last byte cannot serve one, so the next draw refills it.
    const perPool = Math.floor(RANDOM_POOL_BYTES / 3)
    for (let i = 0; i < perPool; i++) drawn.push(...random.bytes(3))
    expect(calls).toBe(1)
    expect(drawn).toEqual(Array.from({ length: perPool * 3 }, (_, i) => i))
    const next = random.bytes(3)
    expect(calls).toBe(2)
    expect([...next]).toEqual([0, 1, 2])
    // A draw bigger than the pool goes to the platform whole.
    expect(random.bytes(RANDOM_POOL_BYTES + 1).length).toBe(RANDOM_POOL_BYTES + 1)
    expect(calls).toBe(3)
  })

  it('gives distinct draws and floats in [0, 1) from the real platform', () => {
    const random = cryptoRandom()
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) seen.add(Buffer.from(random.bytes(8)).toString('hex'))
    expect(seen.size).toBe(2000)
    for (let i = 0; i < 1000; i++) {
      const x = random.float()
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
    }
  })
})
