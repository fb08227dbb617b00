/**
 * The whole receive path of a real `WebRtcTransport`, with a real `KademliaNode` on it: raw frames
 * written on an attacker's data channel to the victim, past the attacker's own transport, exactly
 * as a modified tab would (the fake peers of the transport's attack tests, on a virtual clock).
 * The victim is also connected to an honest node, so relays for others have somewhere to go.
 *
 * Inputs are mutations of every frame type: DHT messages, heartbeats, BYE, UNDELIVERABLE, relays
 * for the victim that the attacker really authenticated (signed and MAC'd DHT messages, signed
 * signals), and relays for others. What the victim made of them is its own counters (drops,
 * rejected relays and signals, rejected DHT input).
 */
import { createNode, DEFAULT_WIRE_LIMITS, encodeMessage, type KademliaNode, type Message, type Tunables } from '@browser-dht/kademlia'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { DEFAULTS, dhtFrame, parseFrame, RelayKind } from '@browser-dht/webrtc-transport/internals'
import { FakeNetwork, type FakeNode } from '../../../webrtc-transport/test/helpers/fake-network.ts'
import type { FakePeer } from '../../../webrtc-transport/test/helpers/fake-peer.ts'
import { ByteInputs } from '../inputs/bytes.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, showBytes } from '../target.ts'
import { dhtMessages } from './dht-corpus.ts'
import { frameCorpus, plainRelays, transportLimits } from './frame-corpus.ts'
import { sealedRelays, sealedSignals, signer, type Signer } from './sealed.ts'

/** Frames per settle, and the virtual time a settle advances: 427 frames a second, under the victim's `frameRatePerSecond` (500). */
const BATCH = 64
const SETTLE_MS = 150
/** Sealed frames are made again this often (virtual ms), well inside `maxAuthAgeMs` (10 minutes). */
const RESEAL_MS = 4 * 60_000
/** The victim node's storage, bounded low so it is full within the warm-up (see dht-node.ts). */
const VICTIM_BOUNDS: Partial<Tunables> = { maxRecords: 16, maxStoredBytes: 64 * 1024 }
/**
 * A well-formed BYE closes the attacker's channel and the attacker dials again; the test helpers'
 * fake peers keep every connection ever made (about 7 KB each), which would show as heap growth.
 * So only one BYE in this many goes out as it is; the others get a reason byte no BYE has.
 */
const BYE_ONE_IN = 16
const PING: Message = { type: 'PING', rid: 1 }

interface Side {
  fake: FakeNode
  node: KademliaNode
}

/** The victim's own counts: drops, rejected relays and signals, closes, rejected DHT input, what it passed on and served. */
function countsOf(victim: Side): Record<string, number> {
  const stats = victim.fake.transport.stats()
  const node = victim.node.stats()
  const prefixed = (prefix: string, counts: Record<string, number>): [string, number][] => Object.entries(counts).map(([k, n]) => [`${prefix}${k}`, n])
  return Object.fromEntries([
    ...prefixed('drop:', stats.dropped),
    ...prefixed('relay:', stats.relaysRejected),
    ...prefixed('signal:', stats.signalsRejected),
    ...prefixed('closed:', stats.closed),
    ...prefixed('dht:', node.rejected),
    ['relays passed on', stats.relaysForwarded],
    ['relays for it', stats.relaysReceived],
    ['dht requests served', node.requestsServed],
  ])
}

/** The attacker's data channel to the victim, dialed again whenever it closed. */
class AttackerChannel {
  /** Times the attacker dialed, the first included. */
  dialed = 0
  #peer: FakePeer | undefined

  constructor(
    readonly net: FakeNetwork,
    readonly attacker: FakeNode,
    readonly victim: FakeNode,
  ) {}

  /** The open channel, if it is. */
  get open(): FakePeer | undefined {
    const peer = this.#peer
    return peer !== undefined && !peer.destroyed && peer.partner?.destroyed === false ? peer : undefined
  }

  /** The open channel, dialed (and the clock run until it opens) if need be. */
  async live(): Promise<FakePeer> {
    if (this.open !== undefined) return this.open
    this.dialed++
    this.attacker.transport.connect(this.victim.id)
    for (let waited = 0; waited < 1000; waited += 5) {
      await this.net.clock.advance(5)
      try {
        this.#peer = this.net.channel(this.attacker, this.victim)
        return this.#peer
      } catch {
        // not open yet
      }
    }
    throw new Error('the attacker could not connect to the victim again')
  }
}

/** Every frame type; the relays for the victim sealed by the attacker now, so they are fresh. */
async function corpus(rng: Rng, attacker: Signer, victim: FakeNode, honest: FakeNode): Promise<ByteInputs> {
  const forVictim = await sealedRelays(rng, attacker, victim.id, victim.transport.options.identity.publicKey)
  const signals = (await sealedSignals(rng, attacker, victim.id)).map((body) => ({
    target: victim.id,
    origin: attacker.identity.id,
    seq: attacker.sequencer.next(),
    replyTo: 0,
    kind: RelayKind.SIGNAL,
    body,
  }))
  const others = plainRelays(rng).map((relay, i) => (i % 2 === 0 ? { ...relay, target: honest.id } : relay))
  const ownComingBack = { ...others[0]!, origin: victim.id }
  return new ByteInputs(rng, frameCorpus(rng, dhtMessages(rng, DEFAULT_WIRE_LIMITS), [...forVictim, ...signals, ...others, ownComingBack]))
}

export const transport: FuzzTarget = {
  name: 'transport',
  boundary: 'data channel → WebRtcTransport (fake peers) → KademliaNode',
  async open(seed) {
    const rng = new Rng(seed)
    const net = new FakeNetwork()
    const add = (): FakeNode => net.add({ identity: identityFromSecretKey(rng.bytes(32)), random: rng.random })
    const withNode = async (fake: FakeNode, bounds: Partial<Tunables>): Promise<Side> => {
      const node = createNode({ ...bounds, id: fake.id, transport: fake.transport, clock: net.clock, random: rng.random })
      await node.start()
      return { fake, node }
    }
    const victim = await withNode(add(), VICTIM_BOUNDS)
    const honest = await withNode(add(), {})
    const attacker = add()
    const pongs: number[] = []
    // Its inbox would keep every answer the victim sends; the attacker only notes PONGs.
    attacker.transport.listen({ onMessage: (_from, m) => void (m.type === 'PONG' && pongs.push(m.rid)), onInvalid: () => {} })
    await net.clock.run(honest.node.ping(victim.fake.id))
    const attackerSigner = signer(attacker.transport.options.identity, net.clock)
    let inputs = await corpus(rng, attackerSigner, victim.fake, honest.fake)
    let sealedAt = net.clock.now()
    const channel = new AttackerChannel(net, attacker, victim.fake)
    await channel.live()
    const before = countsOf(victim)
    const limits = transportLimits()
    let last: Uint8Array = new Uint8Array(0)
    return {
      settleEvery: BATCH,
      feed() {
        last = inputs.next()
        const parsed = parseFrame(last, limits.maxMessageBytes, limits.maxRelayBodyBytes)
        const isBye = parsed.ok && parsed.frame.type === 'bye'
        const bye = isBye && rng.chance(1 / BYE_ONE_IN)
        if (isBye && !bye) last[1] = 2 + rng.int(254)
        const send = (peer: FakePeer): Promise<undefined> | undefined => {
          peer.send(last)
          // A BYE closes the channel: let it, so the next frame goes on the channel dialed after it.
          return bye ? net.clock.advance(5).then(() => undefined) : undefined
        }
        const open = channel.open
        return open === undefined ? channel.live().then(send) : send(open)
      },
      async settle() {
        await net.clock.advance(SETTLE_MS)
        // The test helpers keep every frame sent and every event; the fuzzer does not need them.
        for (const peer of net.peers.all) peer.sent.length = 0
        for (const node of net.nodes) node.events.length = 0
        if (net.clock.now() - sealedAt > RESEAL_MS) {
          inputs = await corpus(rng, attackerSigner, victim.fake, honest.fake)
          sealedAt = net.clock.now()
        }
      },
      lastInput: () => showBytes(last),
      outcomes() {
        const now = countsOf(victim)
        return { ...Object.fromEntries(Object.entries(now).map(([k, n]) => [k, n - (before[k] ?? 0)])), 'attacker dialed again': channel.dialed - 1 }
      },
      async finish() {
        const violations: string[] = []
        if (!victim.node.running) violations.push('the victim node stopped')
        const { open, connecting } = victim.fake.transport.stats()
        if (open + connecting > DEFAULTS.maxConnections) violations.push(`${open + connecting} connections, over maxConnections`)
        if (!(await net.clock.run(honest.node.ping(victim.fake.id)))) violations.push('the victim no longer answers the honest node')
        if (!(await net.clock.run(victim.node.ping(honest.fake.id)))) violations.push('the victim can no longer reach the honest node')
        pongs.length = 0
        ;(await channel.live()).send(dhtFrame(encodeMessage(PING)))
        await net.clock.advance(50)
        if (!pongs.includes(PING.rid)) violations.push('the victim no longer answers a DHT PING on the attacker\'s channel')
        return violations
      },
      async close() {
        await victim.node.stop()
        await honest.node.stop()
        attacker.transport.close()
        await net.clock.advance(1000)
      },
    }
  },
}
