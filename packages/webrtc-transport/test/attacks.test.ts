/**
 * One malicious tab against the real transport (fake peers, virtual clock): every attack of
 * issue 8 that a peer can make, written as the attacker would make it (raw frames on its own data
 * channel), each shown to fail and to be counted. The network's own tests of the server are in
 * packages/signaling-server/test; of lookups under Sybils, in packages/simulator; attacks on
 * signals, CPU and IDs, in attacks-signals.test.ts.
 *
 * The honest line is V — Y — X: V reaches X only through Y. The attacker M holds one channel, to
 * V, and is farther from X than Y, so V's honest traffic to X does not pass M.
 */
import { describe, expect, it } from 'vitest'
import {
  compareDistance,
  createNode,
  decodeMessage,
  DEFAULT_WIRE_LIMITS,
  idEquals,
  immutableKey,
  type KademliaNode,
  keyOf,
  seededRandom,
  toHex,
} from '@browser-dht/kademlia'
import { AuthMode, MAC_TAG_BYTES } from '../src/auth/relay-seal.ts'
import { DEFAULTS } from '../src/options.ts'
import { type NodeIdentity, SIGNATURE_BYTES } from '@browser-dht/identity'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { FrameType, neighboursFrame, RelayKind, undeliverableFrame } from '../src/wire/frames.ts'
import { forgedBody, forgedPresence, forgedRelay, presenceOf, relaysIn, TAG_AT } from './helpers/attacker.ts'
import { FakeNetwork, type FakeNode } from './helpers/fake-network.ts'
import type { FakePeer } from './helpers/fake-peer.ts'
import { ping } from './helpers/messages.ts'

interface Honest {
  fake: FakeNode
  node: KademliaNode
  identity: NodeIdentity
}

/** Identities from a seed, so every run builds the same keyspace (and the same routes). */
const keys = seededRandom(2026)
function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(keys.bytes(32))
}

let seed = 1
function honest(net: FakeNetwork, identity = generateIdentity()): Honest {
  const fake = net.add({ identity })
  const node = createNode({ id: fake.id, transport: fake.transport, clock: net.clock, random: seededRandom(seed++), k: 8, requestTimeoutMs: 1000 })
  return { fake, node, identity }
}

/** V — Y — X, and the attacker M with one channel, to V. */
async function line() {
  const net = new FakeNetwork()
  const [xIdentity, yIdentity] = [generateIdentity(), generateIdentity()]
  let mIdentity = generateIdentity()
  while (compareDistance(xIdentity.id, yIdentity.id, mIdentity.id) > 0) mIdentity = generateIdentity()
  const x = honest(net, xIdentity)
  const y = honest(net, yIdentity)
  const v = honest(net)
  const m = net.add({ identity: mIdentity })
  for (const { node } of [x, y, v]) await node.start()
  await net.clock.run(x.node.ping(y.fake.id))
  await net.clock.run(v.node.ping(y.fake.id))
  m.transport.send(v.fake.id, ping(1))
  await net.clock.advance(20)
  expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true) // through Y
  expect(v.fake.transport.isConnected(x.fake.id)).toBe(false)
  const attacker = net.channel(m, v.fake)
  return { net, x, y, v, m, mIdentity, attacker }
}

/** The DHT messages V sent as relays on the channel `on` since frame `from` (what a relay on the path reads). */
function relayedMessages(on: FakePeer, from = 0) {
  return relaysIn(on.sent.slice(from)).flatMap((relay) => {
    if (relay.kind !== RelayKind.DHT) return []
    const tagBytes = relay.body[0] === AuthMode.MAC ? MAC_TAG_BYTES : SIGNATURE_BYTES
    const decoded = decodeMessage(relay.body.subarray(TAG_AT + tagBytes), DEFAULT_WIRE_LIMITS)
    return decoded.ok ? [{ relay, message: decoded.message }] : []
  })
}

/** A sequence number that is new and fresh now, as an honest sender's would be. */
let sequence = 0
function fresh(net: FakeNetwork): number {
  return net.clock.now() * 1000 + ++sequence
}

/** Relay and DHT frames (not heartbeats) a fake peer sent from frame `from` on. */
function answersSent(peer: FakePeer, from: number): number {
  return peer.sent.slice(from).filter((frame) => frame[0] === 0x00 || frame[0] === 0x03).length
}

describe('speaking as someone else', () => {
  it('relays naming made-up IDs or honest nodes as their origin are dropped, counted, never answered and never enter the routing table', async () => {
    const { net, x, v, mIdentity, attacker } = await line()
    const before = v.fake.transport.stats()
    const vToM = net.channel(v.fake, net.nodes.find((n) => idEquals(n.id, mIdentity.id))!)
    const sentBefore = vToM.sent.length
    const servedBefore = v.node.stats().requestsServed
    const madeUp = Array.from({ length: 16 }, () => generateIdentity().id)
    // Made-up IDs, with the attacker's own key (which does not hash to them).
    for (const [i, id] of madeUp.entries()) {
      attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: id, body: forgedBody(mIdentity.publicKey, { type: 'FIND_NODE', rid: i, target: id, count: 8 }) }))
    }
    // An honest node's ID with its real public key, but a tag the attacker cannot make: a
    // signature, and a MAC.
    attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: x.fake.id, body: forgedBody(x.identity.publicKey, { type: 'PING', rid: 77 }) }))
    attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: x.fake.id, body: forgedBody(x.identity.publicKey, { type: 'PING', rid: 78 }, AuthMode.MAC) }))
    await net.clock.advance(50)
    const after = v.fake.transport.stats()
    expect(after.relaysRejected['bad-key'] - before.relaysRejected['bad-key']).toBe(16)
    expect(after.relaysRejected['bad-tag'] - before.relaysRejected['bad-tag']).toBe(2)
    expect(after.dropped['relay-unauthenticated'] - before.dropped['relay-unauthenticated']).toBe(18)
    for (const id of madeUp) expect(v.node.table.has(id)).toBe(false)
    expect(answersSent(vToM, sentBefore)).toBe(0)
    expect(v.node.stats().requestsServed).toBe(servedBefore)
  })

  it('forged answers from an honest node do not reach a lookup, even when the attacker knows the request IDs', async () => {
    const { net, x, y, v, attacker } = await line()
    const vToY = net.channel(v.fake, y.fake)
    const seen = vToY.sent.length
    const madeUp = Array.from({ length: 8 }, () => generateIdentity().id)
    const lookup = v.node.findNode(keyOf('anything'))
    // An eavesdropper on V's path reads each request as it leaves and answers it "as" X at once.
    let forged = 0
    for (let tick = 0; tick < 40; tick++) {
      await net.clock.advance(1)
      for (const { relay, message } of relayedMessages(vToY, seen)) {
        if (!idEquals(relay.target, x.fake.id) || message.type !== 'FIND_NODE') continue
        attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: x.fake.id, body: forgedBody(x.identity.publicKey, { type: 'NODES', rid: message.rid, nodes: madeUp }) }))
        forged++
      }
      if (forged > 0) break
    }
    const { closest } = await net.clock.run(lookup)
    expect(forged).toBeGreaterThan(0)
    for (const id of madeUp) expect(closest.map(toHex)).not.toContain(toHex(id))
    expect(closest.map(toHex)).toContain(toHex(x.fake.id))
    expect(v.fake.transport.stats().relaysRejected['bad-tag']).toBeGreaterThanOrEqual(forged)
  })

  it('a node that vanished is not kept alive by forged PONGs in its name', async () => {
    const { net, x, y, v, attacker } = await line()
    // X vanishes: nothing it sends gets out any more, though Y's channel to it still looks open.
    net.channel(x.fake, y.fake).delivers = false
    const vToY = net.channel(v.fake, y.fake)
    const seen = vToY.sent.length
    const pinged = v.node.ping(x.fake.id)
    await net.clock.advance(5)
    const request = relayedMessages(vToY, seen).find(({ relay }) => idEquals(relay.target, x.fake.id))
    expect(request?.message.type).toBe('PING')
    attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: x.fake.id, body: forgedBody(x.identity.publicKey, { type: 'PONG', rid: request!.message.rid }) }))
    expect(await net.clock.run(pinged)).toBe(false)
    expect(v.fake.transport.stats().relaysRejected['bad-tag']).toBe(1)
  })

  it('forged relays teach no way back: the victim’s next request to that node still goes the honest way', async () => {
    const { net, x, v, m, attacker } = await line()
    for (let i = 0; i < 10; i++) {
      attacker.send(forgedRelay({ seq: fresh(net), target: v.fake.id, origin: x.fake.id, body: forgedBody(x.identity.publicKey, { type: 'PING', rid: i }) }))
    }
    await net.clock.advance(20)
    const vToM = net.channel(v.fake, m)
    const sent = vToM.sent.length
    expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(relaysIn(vToM.sent.slice(sent)).filter((relay) => idEquals(relay.target, x.fake.id))).toEqual([])
  })
})

describe('teaching a way back on the way', () => {
  it('a node passing relays on learns the way back only from a new presence whose origin checks out', async () => {
    const { net, x, y, v, m, attacker } = await line()
    const vToM = net.channel(v.fake, m)
    // The attacker sends V, to pass on toward Y, a relay with a fresh presence of X that X never signed.
    const before = v.fake.transport.stats()
    const body = forgedBody(x.identity.publicKey, { type: 'PING', rid: 5 }, AuthMode.SIGNATURE, forgedPresence(net.clock.now()))
    attacker.send(forgedRelay({ seq: fresh(net), target: y.fake.id, origin: x.fake.id, body }))
    await net.clock.advance(20)
    const after = v.fake.transport.stats()
    expect(after.relaysForwarded - before.relaysForwarded).toBe(1) // passed on: only Y can tell
    expect(after.authOperations - before.authOperations).toBe(1) // checked on the way, within the budget
    expect(after.presencesRejected - before.presencesRejected).toBe(1)
    expect(after.routesLearnedOnTheWay).toBe(before.routesLearnedOnTheWay)
    const sent = vToM.sent.length
    expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(relaysIn(vToM.sent.slice(sent)).filter((relay) => idEquals(relay.target, x.fake.id))).toEqual([])
    // A relay from X, to the attacker through Y and V, brings X's real presence: V learns the way back.
    const mSeen = net.channel(v.fake, m).sent.length
    x.node.ping(m.id).catch(() => undefined)
    await net.clock.advance(20)
    expect(v.fake.transport.stats().routesLearnedOnTheWay).toBe(after.routesLearnedOnTheWay + 1)
    // The attacker replays that real presence on relays of its own: it is not newer, so V checks
    // nothing and learns nothing, and its way back to X stays the honest one.
    const captured = relaysIn(net.channel(v.fake, m).sent.slice(mSeen)).find((relay) => idEquals(relay.origin, x.fake.id))
    expect(captured).toBeDefined()
    const learned = v.fake.transport.stats()
    for (let i = 0; i < 5; i++) {
      const replayed = forgedBody(x.identity.publicKey, { type: 'PING', rid: 10 + i }, AuthMode.MAC, presenceOf(captured!.body))
      attacker.send(forgedRelay({ seq: fresh(net), target: y.fake.id, origin: x.fake.id, body: replayed }))
    }
    await net.clock.advance(20)
    const replayedStats = v.fake.transport.stats()
    expect(replayedStats.relaysForwarded - learned.relaysForwarded).toBe(5)
    expect(replayedStats.authOperations).toBe(learned.authOperations)
    expect(replayedStats.routesLearnedOnTheWay).toBe(learned.routesLearnedOnTheWay)
    const again = vToM.sent.length
    expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(relaysIn(vToM.sent.slice(again)).filter((relay) => idEquals(relay.target, x.fake.id))).toEqual([])
  })
})

describe('evicting a live contact', () => {
  it('an UNDELIVERABLE from a peer the relay never went through is ignored and counted; the request succeeds and the contact stays', async () => {
    const { net, x, y, v, attacker } = await line()
    const vToY = net.channel(v.fake, y.fake)
    const seen = vToY.sent.length
    const pinged = v.node.ping(x.fake.id)
    await net.clock.advance(1)
    const relay = relaysIn(vToY.sent.slice(seen)).find((r) => idEquals(r.target, x.fake.id))!
    // The attacker knows the relay's exact name (target, origin, seq) and says it did not get through.
    attacker.send(undeliverableFrame('relay-no-route', relay))
    expect(await net.clock.run(pinged)).toBe(true)
    const stats = v.fake.transport.stats()
    expect(stats.dropped['undeliverable-unmatched']).toBe(1)
    expect(stats.relaysRetried).toBe(0)
    expect(v.node.table.has(x.fake.id)).toBe(true)
  })

  it('a first hop that lies is only a hint: the relay takes another way and the request succeeds', async () => {
    const net = new FakeNetwork()
    const [v, x, y] = [honest(net), honest(net), honest(net)]
    const m = net.add({ identity: generateIdentity() })
    for (const { node } of [v, x, y]) await node.start()
    await net.clock.run(x.node.ping(y.fake.id))
    await net.clock.run(v.node.ping(y.fake.id))
    m.transport.send(v.fake.id, ping(1))
    m.transport.send(x.fake.id, ping(1))
    await net.clock.advance(20)
    // M (connected to both) carries V's relays honestly, but answers the first with UNDELIVERABLE.
    const mToV = net.channel(m, v.fake)
    const vToM = net.channel(v.fake, m)
    const vToY = net.channel(v.fake, y.fake)
    const [seenM, seenY] = [vToM.sent.length, vToY.sent.length]
    const pinged = v.node.ping(x.fake.id)
    await net.clock.advance(1)
    const toX = (frames: Uint8Array[]) => relaysIn(frames).find((r) => idEquals(r.target, x.fake.id))
    const viaM = toX(vToM.sent.slice(seenM))
    const first = viaM ?? toX(vToY.sent.slice(seenY))!
    const liar = viaM !== undefined ? mToV : net.channel(y.fake, v.fake)
    liar.send(undeliverableFrame('relay-no-route', first))
    expect(await net.clock.run(pinged)).toBe(true)
    expect(v.fake.transport.stats().undeliverable['relay-no-route']).toBe(1)
    expect(v.fake.transport.stats().relaysRetried).toBe(1)
    expect(v.node.table.has(x.fake.id)).toBe(true)
  })
})

describe('listing links one does not have', () => {
  /** `line()`, before any list went out: what M sends first is V's first list. */
  async function listed() {
    const setup = await line()
    expect(setup.v.fake.transport.stats().neighbourListsReceived).toBe(0)
    const vToM = setup.net.channel(setup.v.fake, setup.net.nodes.find((n) => idEquals(n.id, setup.mIdentity.id))!)
    const toX = (from: number) => relaysIn(vToM.sent.slice(from)).filter((relay) => idEquals(relay.target, setup.x.fake.id)).length
    return { ...setup, vToM, toX }
  }

  it('an honest listing carries request after request: each answer names its request, so none is passed over', async () => {
    const { net, x, y, v } = await listed()
    await net.clock.advance(DEFAULTS.neighbourListDelayMs + 100) // Y lists X (and M lists nobody but V)
    const vToY = net.channel(v.fake, y.fake)
    const seen = vToY.sent.length
    for (let i = 0; i < 3; i++) expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(relaysIn(vToY.sent.slice(seen)).filter((relay) => idEquals(relay.target, x.fake.id))).toHaveLength(3)
    expect(v.fake.transport.stats().neighbourListingsPassedOver).toBe(0)
    expect(y.fake.transport.stats().relaysForwarded).toBeGreaterThanOrEqual(6) // each request and its answer, one hop each way
  })

  it('a peer that lists a node it has no channel to, and drops what it draws, costs one request: the next go the honest way, listing it again changes nothing, the node stays', async () => {
    const { net, x, v, attacker, vToM, toX } = await listed()
    attacker.send(neighboursFrame([x.fake.id]))
    await net.clock.advance(20)
    attacker.delivers = false // from now on M drops everything it draws (its own list too)
    await net.clock.advance(DEFAULTS.neighbourListDelayMs) // Y's list of X arrives too, after M's
    expect(v.fake.transport.stats().neighbourListsReceived).toBe(2)
    const seen = vToM.sent.length
    expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(false)
    expect(toX(seen)).toBe(1)
    attacker.delivers = true
    attacker.send(neighboursFrame([x.fake.id]))
    await net.clock.advance(20)
    attacker.delivers = false
    for (let i = 0; i < 3; i++) expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(toX(seen)).toBe(1)
    expect(v.fake.transport.stats().neighbourListingsPassedOver).toBeGreaterThanOrEqual(3)
    expect(v.node.table.has(x.fake.id)).toBe(true)
  })

  it('malformed lists (more than 64 IDs, a length that is not the count\'s) are dropped, counted, and teach nothing', async () => {
    const { net, x, v, attacker, vToM, toX } = await listed()
    const tooMany = new Uint8Array(2 + 65 * 20)
    tooMany[0] = FrameType.NEIGHBOURS
    tooMany[1] = 65
    tooMany.set(x.fake.id, 2)
    attacker.send(tooMany)
    attacker.send(neighboursFrame([x.fake.id]).subarray(0, 21))
    await net.clock.advance(20)
    expect(v.fake.transport.stats().dropped['malformed-neighbours']).toBe(2)
    const seen = vToM.sent.length
    expect(await net.clock.run(v.node.ping(x.fake.id))).toBe(true)
    expect(toX(seen)).toBe(0)
  })
})

describe('amplification', () => {
  it('a relay claiming 255 hops is clamped to maxRelayHops, and no node passes one frame on twice', async () => {
    const net = new FakeNetwork()
    const nodes = Array.from({ length: 8 }, () => net.add({ identity: generateIdentity() }))
    // Every honest node connected to every other: many ways for a frame to circle.
    for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.send(b.id, ping(1))
    await net.clock.advance(50)
    const m = net.add({ identity: generateIdentity() })
    m.transport.send(nodes[0]!.id, ping(1))
    await net.clock.advance(20)
    const forwardedBefore = nodes.reduce((sum, n) => sum + n.transport.stats().relaysForwarded, 0)
    const frame = forgedRelay({ seq: fresh(net), target: generateIdentity().id, origin: m.id, hops: 255, body: new Uint8Array(16 * 1024) })
    for (let i = 0; i < 100; i++) net.channel(m, nodes[0]!).send(frame) // and the same frame again and again
    await net.clock.advance(100)
    const forwarded = nodes.reduce((sum, n) => sum + n.transport.stats().relaysForwarded, 0) - forwardedBefore
    expect(forwarded).toBeLessThanOrEqual(DEFAULTS.maxRelayHops)
    expect(nodes[0]!.transport.stats().relaysClamped).toBe(1)
    // Every copy after the first (and the first too, should it come round again) is dropped.
    expect(nodes[0]!.transport.stats().dropped['relay-loop']).toBeGreaterThanOrEqual(99)
  })

  it('relayed FIND_VALUE "from" a victim makes the holder send the victim nothing', async () => {
    const { net, x, v, mIdentity } = await line()
    // A holder H with a large value, which the attacker is connected to.
    const h = honest(net)
    await h.node.start()
    await net.clock.run(h.node.ping(x.fake.id))
    const big = new Uint8Array(60_000)
    await net.clock.run(h.node.records.accept({ key: immutableKey(big), record: { kind: 'immutable', value: big }, ttlMs: 3_600_000, mode: 'publish', now: net.clock.now() }))
    const m = net.nodes.find((n) => idEquals(n.id, mIdentity.id))!
    m.transport.connect(h.fake.id)
    await net.clock.advance(20)
    const received = v.fake.transport.stats().bytesReceived
    const holderSent = h.fake.transport.stats().bytesSent
    const served = h.node.stats().requestsServed
    for (let i = 0; i < 200; i++) {
      const body = forgedBody(v.identity.publicKey, { type: 'FIND_VALUE', rid: i, key: immutableKey(big), count: 8 })
      net.channel(m, h.fake).send(forgedRelay({ target: h.fake.id, origin: v.fake.id, seq: fresh(net), body }))
    }
    await net.clock.advance(1000)
    expect(h.fake.transport.stats().bytesSent - holderSent).toBeLessThan(1000) // heartbeats at most
    expect(v.fake.transport.stats().bytesReceived - received).toBeLessThan(1000)
    const rejected = h.fake.transport.stats().relaysRejected
    expect(rejected['bad-tag'] + rejected['rate-limited']).toBe(200)
    expect(h.node.stats().requestsServed).toBe(served)
  })
})
