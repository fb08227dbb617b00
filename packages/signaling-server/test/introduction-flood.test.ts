/**
 * A flood of registrations from one network does not take over what new nodes are introduced to.
 * All sockets stay on 127.0.0.1; addresses are X-Forwarded-For headers to a `trustProxy` server.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../src/options.ts'
import { type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { register } = fx
let started: Started

describe('introductions under a registration flood', () => {
  it('gives a new node the long-registered honest peers and at most one of 50 fresh attacker IDs from one /24', async () => {
    let now = 0
    started = await fx.start({ trustProxy: true, now: () => now })
    const honest = []
    for (let n = 0; n < 3; n++) honest.push((await register(started.url, { forwardedFor: `198.51.${100 + n}.1` })).id)
    now += DEFAULTS.introduceMinAgeMs
    const attackers = new Set<string>()
    for (let n = 0; n < 50; n++) attackers.add((await register(started.url, { forwardedFor: `203.0.113.${n + 1}` })).id)
    expect(started.server.stats().registered).toBe(53)

    for (let n = 0; n < 5; n++) {
      const joiner = await register(started.url, { forwardedFor: `192.0.${n}.1` })
      joiner.client.send({ type: 'peers' })
      const lists = [joiner.registered.peers, (await joiner.client.expect('peers')).peers] as string[][]
      for (const peers of lists) {
        expect(peers).toEqual(expect.arrayContaining(honest))
        expect(peers.filter((peer) => attackers.has(peer)).length).toBeLessThanOrEqual(1)
      }
    }
  })
})
