import { keyOf, type Verify } from '@browser-dht/kademlia'
import { verifySignature } from '@browser-dht/kademlia/noble'
import { describe, expect, it } from 'vitest'
import { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, bytesOf, holdersOf } from './support.ts'

describe('record signature checks on a read', () => {
  it('checks a record heard from several holders once, and not again on the next get (only the very same bytes skip the check)', { timeout: BUILD_TIMEOUT_MS }, async () => {
    let checks = 0
    const verify: Verify = (...args) => (checks++, verifySignature(...args))
    const net = new Testnet({ seed: 77, k: 6, verify })
    await net.grow(40)
    const key = keyOf('record-checks/one')
    await net.run(net.pick().put(key, bytesOf('checked once')))
    const holders = new Set(holdersOf(net, key))
    const getter = net.live().find((node) => !holders.has(node))!
    checks = 0
    const first = await net.run(getter.get(key))
    expect(first.values.map((v) => new TextDecoder().decode(v.value))).toEqual(['checked once'])
    // More than one holder answered with the record, and it cost the getter one check; each node
    // its read repair stored the record on checked it once too.
    expect(first.trace.steps.filter((step) => step.outcome === 'value').length).toBeGreaterThan(1)
    await net.advance(1_000)
    expect(checks).toBe(1 + first.trace.repaired)
    checks = 0
    const second = await net.run(getter.get(key))
    await net.advance(1_000)
    expect(second.trace.steps.filter((step) => step.outcome === 'value').length).toBeGreaterThan(1)
    expect(checks).toBe(second.trace.repaired)
  })
})
