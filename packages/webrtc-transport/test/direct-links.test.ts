import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '@browser-dht/kademlia'
import { generateIdentity } from '@browser-dht/identity/noble'
import { directLinks } from '../src/direct/direct-links.ts'
import type { DirectOffer } from '../src/direct/plug.ts'
import { helloBytes, HELLO_BYTES } from '../src/direct/seal.ts'
import { MAC_TAG_BYTES } from '../src/auth/relay-seal.ts'
import { PeerKeys } from '../src/auth/peer-keys.ts'
import { nobleSuite } from '../src/auth/noble-suite.ts'
import { FakeNetwork, type FakeNode } from './helpers/fake-network.ts'
import { FakeSocketHub } from './helpers/fake-sockets.ts'
import { ping } from './helpers/messages.ts'

const URL_A = 'ws://127.0.0.1:4001'
const URL_B = 'ws://127.0.0.1:4002'

function setup(): { net: FakeNetwork; hub: FakeSocketHub } {
  const net = new FakeNetwork()
  return { net, hub: new FakeSocketHub(net.clock) }
}

/** A node with direct links, listening at `url` (none: it only dials others' URLs). */
function directNode(net: FakeNetwork, hub: FakeSocketHub, url?: string, options: Parameters<FakeNetwork['add']>[0] = {}): FakeNode {
  return net.add({ loopbackOnly: true, direct: directLinks(hub.sockets(url)), ...options })
}

async function connected(net: FakeNetwork, from: FakeNode, to: FakeNode): Promise<void> {
  from.transport.send(to.id, ping(1))
  await net.clock.advance(100)
  expect(from.transport.isConnected(to.id)).toBe(true)
}

describe('direct links (fake sockets, virtual clock)', () => {
  it('connects two Node peers over a direct socket, with no WebRTC connection at all', async () => {
    const { net, hub } = setup()
    const a = directNode(net, hub, URL_A)
    const b = directNode(net, hub, URL_B)
    await connected(net, a, b)
    expect(b.inbox.received.map((m) => m.from)).toEqual([a.id])
    expect(a.transport.peers()).toMatchObject([{ id: b.id, state: 'open', direct: true, initiator: true }])
    expect(b.transport.peers()).toMatchObject([{ id: a.id, state: 'open', direct: true, initiator: false }])
    expect(net.peers.all).toEqual([])
    expect(hub.dialed).toEqual([URL_A])
    expect(a.transport.stats()).toMatchObject({ directOffered: 1, directOpened: 1, directDeclined: 0 })
    expect(b.transport.stats()).toMatchObject({ directOffered: 0, directOpened: 1, directDeclined: 0 })
    // Frames both ways, heartbeats included, pass their MACs.
    b.transport.send(a.id, ping(2))
    await net.clock.advance(20_000)
    expect(a.inbox.received.length).toBe(1)
    expect(a.transport.isConnected(b.id)).toBe(true)
    expect(a.transport.stats().pongsReceived).toBeGreaterThan(0)
    expect(a.transport.stats().directRejected['bad-tag'] + b.transport.stats().directRejected['bad-tag']).toBe(0)
  })

  it('falls back to WebRTC when the remote cannot dial (a tab), and a tab dialing a Node peer uses WebRTC', async () => {
    const { net, hub } = setup()
    const node = directNode(net, hub, URL_A)
    const tab = net.add({ loopbackOnly: true })
    await connected(net, node, tab)
    expect(node.transport.peers()).toMatchObject([{ direct: false }])
    expect(tab.transport.stats().directDeclined).toBe(1)
    expect(net.peers.all.length).toBe(2)
    const tab2 = net.add({ loopbackOnly: true })
    await connected(net, tab2, node)
    expect(node.transport.peers().find((p) => toHex(p.id) === toHex(tab2.id))?.direct).toBe(false)
    expect(hub.dialed).toEqual([])
  })

  it('falls back to WebRTC when the offered URL does not answer', async () => {
    const { net, hub } = setup()
    // a names a URL where nothing listens.
    const a = net.add({ loopbackOnly: true, direct: directLinks({ ...hub.sockets('ws://127.0.0.1:4999'), listen: () => {} }) })
    const b = directNode(net, hub, URL_B)
    await connected(net, a, b)
    expect(hub.dialed).toEqual(['ws://127.0.0.1:4999'])
    expect(a.transport.peers()).toMatchObject([{ state: 'open', direct: false }])
    expect(b.transport.stats().directDeclined).toBe(1)
  })

  it('refuses to dial a URL outside the policy (no SSRF) and asks for WebRTC instead', async () => {
    const { net, hub } = setup()
    const victim = directNode(net, hub, URL_B)
    // The attacker's node offers a private address while the victim runs loopback-only.
    const attacker = net.add({ loopbackOnly: true, direct: directLinks({ ...hub.sockets('ws://10.0.0.1:80'), listen: () => {} }) })
    await connected(net, attacker, victim)
    expect(hub.dialed).toEqual([])
    expect(victim.transport.stats().directDeclined).toBe(1)
    expect(attacker.transport.peers()).toMatchObject([{ direct: false }])
  })
})

describe('direct links under attack', () => {
  /** a listens; b's plug records the offers it gets and answers only when told to. */
  function slowAnswerer(net: FakeNetwork, hub: FakeSocketHub) {
    const offers: DirectOffer[] = []
    let answerNow: (() => void) | undefined
    const b = net.add({
      loopbackOnly: true,
      direct: (context) => {
        const plug = directLinks(hub.sockets(URL_B))(context)
        return {
          get offers() {
            return plug.offers
          },
          offer: (link) => plug.offer(link),
          forget: (link) => plug.forget(link),
          close: () => plug.close(),
          answer: (link, offer) => {
            offers.push(offer)
            answerNow = () => plug.answer(link, offer)
          },
        }
      },
    })
    return { b, offers, answer: () => answerNow?.() }
  }

  it('a relay that read the token cannot take the connection: a wrong key or a wrong tag is refused and counted', async () => {
    const { net, hub } = setup()
    const a = directNode(net, hub, URL_A)
    const { b, offers, answer } = slowAnswerer(net, hub)
    a.transport.send(b.id, ping(1))
    await net.clock.advance(50)
    expect(offers.length).toBe(1)
    const token = fromHex(offers[0]!.token)!
    // An attacker with its own key: its SHA-1 is not b's ID.
    const mallory = generateIdentity()
    const malloryKeys = await new PeerKeys(mallory.id, nobleSuite(mallory), 8).macKeys(a.id, a.transport.options.identity.publicKey)
    const first = hub.connect(URL_A)
    await net.clock.advance(5)
    first.send(helloBytes(token, mallory.publicKey, malloryKeys!))
    // b's public key, which is public, with a tag the attacker cannot compute.
    const second = hub.connect(URL_A)
    await net.clock.advance(5)
    const forged = helloBytes(token, mallory.publicKey, malloryKeys!)
    forged.set(b.transport.options.identity.publicKey, 1 + token.length)
    second.send(forged)
    await net.clock.advance(50)
    expect(first.closed && second.closed).toBe(true)
    expect(first.received.length + second.received.length).toBe(0)
    expect(a.transport.stats().directRejected).toMatchObject({ 'bad-key': 1, 'bad-tag': 1 })
    expect(a.transport.isConnected(b.id)).toBe(false)
    // The attempt still waits for b, which connects.
    answer()
    await net.clock.advance(50)
    expect(a.transport.peers()).toMatchObject([{ id: b.id, state: 'open', direct: true }])
    expect(b.inbox.received.map((m) => m.from)).toEqual([a.id])
  })

  it('an unknown token, junk, or silence gets the socket closed; more than maxDirectHandshakes at once are closed at once', async () => {
    const { net, hub } = setup()
    const a = directNode(net, hub, URL_A, { maxDirectHandshakes: 3, directHandshakeTimeoutMs: 1000 })
    const unknown = hub.connect(URL_A)
    const junk = hub.connect(URL_A)
    const silent = hub.connect(URL_A)
    const extra = hub.connect(URL_A)
    await net.clock.advance(5)
    unknown.send(new Uint8Array(HELLO_BYTES).fill(1, 0, 1))
    junk.send(new Uint8Array(3))
    await net.clock.advance(10)
    expect([unknown.closed, junk.closed, silent.closed, extra.closed]).toEqual([true, true, false, true])
    await net.clock.advance(1000)
    expect(silent.closed).toBe(true)
    expect(a.transport.stats().directRejected).toMatchObject({ 'unknown-token': 1, malformed: 1, timeout: 1, 'too-many': 1 })
    expect(a.transport.stats().authOperations).toBe(0)
  })

  it('a frame injected, replayed or altered on an open direct link closes it, and is counted', async () => {
    for (const attack of ['inject', 'replay', 'alter'] as const) {
      const { net, hub } = setup()
      const a = directNode(net, hub, URL_A)
      const b = directNode(net, hub, URL_B)
      await connected(net, a, b)
      // The socket b dialed, at a's end: what a receives from b arrives on it.
      // The socket b dialed (the hub's first): what it sends arrives at a.
      const fromB = hub.all[0]!
      const lastFromB = fromB.sent.at(-1)!
      const bytes = attack === 'inject' ? Uint8Array.of(...new Uint8Array(MAC_TAG_BYTES), 0x01, 0, 0, 0, 1) : Uint8Array.from(lastFromB)
      if (attack === 'alter') bytes[bytes.length - 1]! ^= 1
      fromB.deliver(bytes)
      await net.clock.advance(20)
      expect(a.transport.isConnected(b.id)).toBe(false)
      expect(a.transport.stats().directRejected['bad-tag']).toBe(1)
      expect(a.transport.stats().closed.error).toBe(1)
    }
  })

  it('glare: two direct dials at once end in one direct link', async () => {
    const { net, hub } = setup()
    const a = directNode(net, hub, URL_A)
    const b = directNode(net, hub, URL_B)
    a.transport.send(b.id, ping(1))
    b.transport.send(a.id, ping(2))
    await net.clock.advance(200)
    expect(a.transport.peers()).toMatchObject([{ id: b.id, state: 'open', direct: true }])
    expect(b.transport.peers()).toMatchObject([{ id: a.id, state: 'open', direct: true }])
    expect(a.inbox.received.length + b.inbox.received.length).toBe(2)
  })
})
