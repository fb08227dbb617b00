import { describe, expect, it } from 'vitest'
import * as simulator from '@browser-dht/simulator'

describe('the package entry point', () => {
  it('exports the testnet and the referee a test of your own needs', async () => {
    expect(typeof simulator.Testnet).toBe('function')
    expect(typeof simulator.trueClosest).toBe('function')
    const net = new simulator.Testnet({ seed: 1, k: 4 })
    await net.grow(8)
    expect(net.nodes.length).toBe(8)
    await net.stop()
  })
})
