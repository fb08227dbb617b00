/**
 * One malicious tab against the real transport's signals and its costs (fake peers, virtual
 * clock): burning a node's CPU with signatures to check, replaying an old offer, and making a
 * transport with an ID that does not solve the puzzle; each shown to fail and to be counted.
 * The relay attacks of issue 8 are in attacks.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { type Id, idEquals, meetsIdPuzzle, seededRandom } from '@browser-dht/kademlia'
import { nobleSuite } from '../src/auth/noble-suite.ts'
import { DEFAULTS } from '../src/options.ts'
import { type NodeIdentity } from '@browser-dht/identity'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { sealSignal, signalDataBytes } from '../src/signaling/signed-signal.ts'
import { TransportErrorCode } from '../src/errors.ts'
import { RelayKind } from '../src/wire/frames.ts'
import { WebRtcTransport } from '../src/webrtc-transport.ts'
import { forgedRelay } from './helpers/attacker.ts'
import { FakeNetwork } from './helpers/fake-network.ts'
import { ping } from './helpers/messages.ts'

/** Identities from a seed, so every run builds the same keyspace. */
const keys = seededRandom(2026)
function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(keys.bytes(32))
}

/** A sequence number that is new and fresh now, as an honest sender's would be. */
let sequence = 0
function fresh(net: FakeNetwork): number {
  return net.clock.now() * 1000 + ++sequence
}

describe('burning CPU', () => {
  it('one link can make a node check at most authBurst signatures, then authRatePerSecond a second; cheap rejections cost none', async () => {
    const net = new FakeNetwork()
    const v = net.add({ identity: generateIdentity() })
    const mIdentity = generateIdentity()
    const m = net.add({ identity: mIdentity })
    m.transport.send(v.id, ping(1))
    await net.clock.advance(20)
    const channel = net.channel(m, v)
    const signal = { v: 1 as const, session: 1, kind: 'offer' as const, sdp: 'v=0' }
    const before = v.transport.stats().authOperations
    // 1,000 signals in one second with valid shapes and bad signatures: each would cost a check.
    for (let i = 0; i < 1000; i++) {
      const bytes = await sealSignal(mIdentity, nobleSuite(mIdentity), v.id, net.clock.now() * 1000 + i, signal)
      bytes[bytes.length - 1]! ^= 1
      channel.send(forgedRelay({ seq: fresh(net), target: v.id, origin: m.id, kind: RelayKind.SIGNAL, body: bytes }))
      if (i % 100 === 99) await net.clock.advance(100)
    }
    await net.clock.advance(10)
    const stats = v.transport.stats()
    const spent = stats.authOperations - before
    expect(spent).toBeLessThanOrEqual(DEFAULTS.authBurst + DEFAULTS.authRatePerSecond * 1.1)
    expect(stats.signalsRejected['bad-signature']).toBe(spent)
    expect(stats.signalsRejected['rate-limited']).toBe(1000 - spent)
    // Claimed as another sender than the key that signed: refused with no check at all.
    const other = generateIdentity().id
    for (let i = 0; i < 300; i++) {
      const bytes = await sealSignal(mIdentity, nobleSuite(mIdentity), v.id, net.clock.now() * 1000 + 5000 + i, signal)
      channel.send(forgedRelay({ seq: fresh(net), target: v.id, origin: other, kind: RelayKind.SIGNAL, body: bytes }))
    }
    await net.clock.advance(10)
    expect(v.transport.stats().authOperations - before).toBe(spent)
    expect(v.transport.stats().signalsRejected['wrong-signer']).toBe(300)
  })
})

describe('replaying an old offer', () => {
  it('a captured offer from an earlier connection does not close the live one, even after the attacker flushed the replay memory', async () => {
    const captured: unknown[] = []
    const watched: { id?: Id } = {}
    const net = new FakeNetwork({
      signaling: {
        filter: (from, _to, envelope, data) => {
          if (watched.id !== undefined && idEquals(from, watched.id) && envelope?.kind === 'offer') captured.push(data)
          return true
        },
      },
    })
    // The victim remembers the windows of 2 senders only, so the attacker can push X's out.
    const v = net.add({ identity: generateIdentity(), maxReplaySenders: 2 })
    const a = net.add({ identity: generateIdentity() })
    watched.id = a.id
    a.transport.send(v.id, ping(1))
    await net.clock.advance(20)
    // A's side of the connection goes away without V hearing of it (a reload), and A dials anew.
    net.channel(a, v).delivers = false
    a.transport.disconnect(v.id)
    a.transport.send(v.id, ping(2)) // a second connection: the one that is live now
    await net.clock.advance(20)
    expect(captured).toHaveLength(2)
    expect(v.transport.isConnected(a.id)).toBe(true)
    const m = net.add({ identity: generateIdentity() })
    m.transport.send(v.id, ping(3))
    await net.clock.advance(20)
    // The attacker makes signals of its own from many identities, flushing every window...
    for (let i = 0; i < 4; i++) {
      const sybil = generateIdentity()
      const bytes = await sealSignal(sybil, nobleSuite(sybil), v.id, net.clock.now() * 1000 + i, { v: 1, session: 99, kind: 'refuse' })
      net.channel(m, v).send(forgedRelay({ seq: fresh(net), target: v.id, origin: sybil.id, kind: RelayKind.SIGNAL, body: bytes }))
    }
    await net.clock.advance(20)
    // ...then replays the first offer, as if relayed from A.
    const old = signalDataBytes(captured[0], 1 << 16)!
    const stale = v.transport.stats().dropped['stale-signal']
    net.channel(m, v).send(forgedRelay({ seq: fresh(net), target: v.id, origin: a.id, kind: RelayKind.SIGNAL, body: old }))
    await net.clock.advance(20)
    expect(v.transport.isConnected(a.id)).toBe(true)
    expect(v.transport.stats().closed.replaced).toBe(1) // the second offer replaced the first connection, nothing since
    expect(v.transport.stats().dropped['stale-signal'] - stale).toBe(1)
    // While A's window is remembered, the same replay is refused as a replay.
    net.channel(m, v).send(forgedRelay({ seq: fresh(net), target: v.id, origin: a.id, kind: RelayKind.SIGNAL, body: old }))
    await net.clock.advance(20)
    expect(v.transport.stats().signalsRejected.replayed).toBe(1)
  })
})

describe('choosing an ID', () => {
  it('a node whose ID does not solve the puzzle cannot make a transport, and its signals and relays are refused before any check', async () => {
    const net = new FakeNetwork()
    let weak = generateIdentity()
    while (meetsIdPuzzle(weak.id, 8)) weak = generateIdentity()
    expect(() => new WebRtcTransport({ identity: weak, peerFactory: net.peers.factory, idPuzzleBits: 8 })).toThrow(
      expect.objectContaining({ code: TransportErrorCode.WEAK_IDENTITY }),
    )
    let strong = generateIdentity()
    while (!meetsIdPuzzle(strong.id, 8)) strong = generateIdentity()
    const v = net.add({ identity: strong, idPuzzleBits: 8 })
    // The weak node turns its own check off and dials the victim: its offer is refused.
    const m = net.add({ identity: weak, idPuzzleBits: 0 })
    m.transport.send(v.id, ping(1))
    await net.clock.advance(100)
    expect(v.transport.isConnected(m.id)).toBe(false)
    expect(v.transport.stats().signalsRejected['weak-id']).toBeGreaterThan(0)
    expect(v.transport.stats().authOperations).toBe(0)
  })
})
