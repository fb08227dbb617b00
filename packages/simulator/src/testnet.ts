/**
 * A whole Kademlia network in one process: N nodes on a MemoryNetwork and a VirtualClock. Used by
 * the multi-node tests, the benchmark and the demo, and usable in anyone's tests.
 */
import { createNode, type Id, type KademliaNode, MemoryNetwork, type MemoryNetworkOptions, meetsIdPuzzle, type Random, seededRandom, type Signer, toHex, type Transport, type Tunables, type Verify, VirtualClock } from '@browser-dht/kademlia'
import { ed25519Signer } from '@browser-dht/kademlia/noble'

export interface TestnetOptions extends Partial<Tunables> {
  /** Seed for IDs, latencies and choices: the same seed builds the same network. Default 1. */
  seed?: number
  /** One-way latency in ms (fixed or uniform range). Default 10–50. */
  latencyMs?: MemoryNetworkOptions['latencyMs']
  loss?: number
  /** Encode and parse every message (default true); false shares message objects (large runs). */
  wire?: boolean
  /** Nodes joining at once while the network is built. Default 256. */
  joinConcurrency?: number
  /** Joins refresh the far buckets, as in the paper (default true). */
  joinRefresh?: boolean
  /** Wraps every node's transport (see `AddNodeOptions.transport`; a node's own option wins). */
  transport?: AddNodeOptions['transport']
  /** Checks record signatures (a test counts them). Default: the node's (@noble/curves). */
  verify?: Verify
}

export interface AddNodeOptions {
  /** Wraps the node's transport: a relay that lies, an adversary's behaviour, a probe. */
  transport?: (transport: Transport, id: Id) => Transport
  /** Node options for this node only, over the network's. */
  tunables?: Partial<Tunables>
}

/**
 * A random ID that solves the ID puzzle of `bits` (about 2^bits draws; keep `bits` small in
 * tests: 8 bits take a few hundred SHA-1s).
 */
export function puzzleId(random: Random, bits: number): Id {
  for (;;) {
    const id = random.bytes(20)
    if (meetsIdPuzzle(id, bits)) return id
  }
}

export class Testnet {
  readonly clock = new VirtualClock(1_000_000)
  readonly random: Random
  readonly network: MemoryNetwork
  readonly nodes: KademliaNode[] = []
  readonly #options: TestnetOptions
  readonly #byId = new Map<string, KademliaNode>()
  /** `live()` as last computed; dropped when a node is added or failed here, or found stopped. */
  #liveCache: KademliaNode[] | undefined

  constructor(options: TestnetOptions = {}) {
    this.#options = options
    this.random = seededRandom(options.seed ?? 1)
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: this.random,
      ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
      loss: options.loss ?? 0,
      wire: options.wire ?? true,
    })
  }

  /**
   * Creates and starts a node that has not joined yet. Without an `id`, one is drawn at random
   * (solving the ID puzzle when the network has `idPuzzleBits`).
   */
  async addNode(id: Id = puzzleId(this.random, this.#options.idPuzzleBits ?? 0), options: AddNodeOptions = {}): Promise<KademliaNode> {
    const { seed, latencyMs, loss, wire, joinConcurrency, joinRefresh, transport: wrapAll, verify, ...tunables } = this.#options
    const base = this.network.transport(id)
    const wrap = options.transport ?? wrapAll
    const transport = wrap === undefined ? base : wrap(base, id)
    const node = createNode({ ...tunables, ...options.tunables, id, transport, clock: this.clock, random: this.random, signer: simulatedSigner(id), ...(verify === undefined ? {} : { verify }) })
    await node.start()
    this.nodes.push(node)
    this.#byId.set(toHex(id), node)
    this.#liveCache = undefined
    return node
  }

  /** Adds `count` nodes, each joining through a random node already in the network. */
  async grow(count: number, onProgress?: (joined: number) => void): Promise<void> {
    const concurrency = this.#options.joinConcurrency ?? 256
    let remaining = count
    if (this.nodes.length === 0 && remaining > 0) {
      await this.addNode()
      remaining--
    }
    while (remaining > 0) {
      const wave = Math.min(remaining, concurrency, Math.max(1, this.nodes.length))
      const existing = this.live()
      const joins: Promise<unknown>[] = []
      for (let i = 0; i < wave; i++) {
        const contact = existing[Math.floor(this.random.float() * existing.length)]!
        joins.push(this.addNode().then((node) => node.bootstrap([contact.id], { refreshBuckets: this.#options.joinRefresh ?? true })))
      }
      await this.run(Promise.all(joins))
      remaining -= wave
      onProgress?.(this.nodes.length)
    }
  }

  /** Runs the virtual clock until `promise` settles. */
  run<T>(promise: Promise<T>): Promise<T> {
    return this.clock.run(promise)
  }

  /** Advances virtual time by `ms`, running every timer due. */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms)
  }

  node(id: Id): KademliaNode | undefined {
    return this.#byId.get(toHex(id))
  }

  /** Nodes that are running and not failed (fail nodes with `fail`, not on the network directly). */
  live(): KademliaNode[] {
    const cached = this.#liveCache
    if (cached !== undefined && cached.every((node) => node.running)) return cached
    this.#liveCache = this.nodes.filter((node) => node.running && !this.network.isFailed(node.id))
    return this.#liveCache
  }

  /** Node fails without notice: it stops and the network drops its traffic. */
  async fail(node: KademliaNode): Promise<void> {
    this.network.fail(node.id)
    this.#liveCache = undefined
    await node.stop()
  }

  /** A random live node, other than `except` (say, a node about to bootstrap from it). */
  pick(except?: KademliaNode): KademliaNode {
    const live = this.live()
    const candidates = except !== undefined && live.includes(except) ? live.length - 1 : live.length
    if (candidates < 1) throw new Error('Testnet.pick: no other live node')
    for (;;) {
      const node = live[Math.floor(this.random.float() * live.length)]!
      if (node !== except) return node
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()))
  }
}

/**
 * A simulated node's signer: an ed25519 key derived from its ID (no randomness drawn, so seeded
 * runs keep their sequences; the key is derived on first use, so nodes that never publish cost
 * nothing). Real nodes sign with their identity key, whose SHA-1 is their ID; here the two are
 * unrelated, which no rule of the core depends on.
 */
export function simulatedSigner(id: Id): Signer {
  return ed25519Signer(Uint8Array.from({ length: 32 }, (_, i) => id[i % id.length]! ^ i))
}
