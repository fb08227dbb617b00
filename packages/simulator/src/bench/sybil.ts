/**
 * The bench:sybil scenario: a network where a fraction of the nodes are adversarial (see
 * adversary.ts), and how well honest nodes' puts, gets and lookups do over d disjoint paths.
 *
 * Every node, honest or adversarial, joins the same way, through a random earlier node; the
 * adversarial nodes behave until the network is built and attack from then on, so they sit in
 * honest routing tables exactly as often as honest nodes do. Their IDs are random like everyone
 * else's: the ID puzzle is about what choosing IDs costs (an attacker placing nodes next to a key),
 * which this scenario does not model. Then, for each d measured, on the same network: random
 * honest nodes put values, random other honest nodes get them, and random honest nodes look up
 * random targets, all over d paths.
 */
import { type Id, idEquals, keyOf, type KademliaNode, seededRandom, toHex } from '@browser-dht/kademlia'
import { trueClosest } from '../brute-force.ts'
import { mean, round } from '../stats.ts'
import { Testnet } from '../testnet.ts'
import { Adversary } from './adversary.ts'

export interface SybilOptions {
  nodes: number
  /** Fraction of all nodes that are adversarial. */
  adversarial: number
  /** The numbers of disjoint paths to measure, in order, each with its own puts, gets and lookups. */
  paths: readonly number[]
  lookups: number
  values: number
  seed: number
  /** Operations at once. */
  concurrency: number
  /** 'self': joins do the self-lookup only (about ten times cheaper); 'full': the paper's join. */
  join: 'self' | 'full'
  /** Progress lines go here (stderr in the CLI). */
  log: (line: string) => void
}

export interface PathFigures {
  paths: number
  /** Over lookups, the mean share of the true k closest honest nodes the lookup returned. */
  lookupSuccess: number
  /** Share of lookups that returned all of the true k closest honest nodes. */
  lookupsAllFound: number
  /** Share of gets that found the value (a random honest node puts it, another gets it). */
  getSuccess: number
  messagesPerLookup: number
  messagesPerGet: number
}

export interface SybilResult {
  nodes: number
  adversarial: number
  adversaries: number
  k: number
  seed: number
  join: 'self' | 'full'
  /**
   * The lookup success of a lookup that returned exactly the k closest live nodes: adversarial
   * nodes that answer are indistinguishable, so the k closest include about f · k of them.
   */
  lookupCeiling: number
  buildSeconds: number
  runs: PathFigures[]
}

export async function runSybil(options: SybilOptions): Promise<SybilResult> {
  const { log } = options
  const adversary = new Adversary()
  const roles = shuffledRoles(options.nodes, Math.round(options.adversarial * options.nodes), options.seed)
  let created = 0
  const net = new Testnet({
    seed: options.seed,
    wire: false,
    joinRefresh: options.join === 'full',
    transport: (transport, id) => {
      if (roles[created++] === true) adversary.members.add(toHex(id))
      return adversary.wrap(transport, id)
    },
  })
  const started = performance.now()
  let lastLog = 0
  await net.grow(options.nodes, (joined) => {
    if (performance.now() - lastLog > 5000 || joined === options.nodes) {
      lastLog = performance.now()
      log(`built ${joined}/${options.nodes} nodes in ${((performance.now() - started) / 1000).toFixed(0)} s`)
    }
  })
  const buildSeconds = (performance.now() - started) / 1000
  const isAdversarial = (node: KademliaNode): boolean => adversary.members.has(toHex(node.id))
  adversary.attack(net.nodes.filter(isAdversarial).map((node) => node.id))
  const honest = net.live().filter((node) => !isAdversarial(node))
  log(`${adversary.members.size} adversarial nodes attack from now on`)

  const runs: PathFigures[] = []
  let lookupCeiling = 1
  for (const paths of options.paths) {
    const gets = await putAndGet(net, honest, paths, options)
    const lookups = await runLookups(net, honest, paths, options)
    lookupCeiling = lookups.ceiling
    const figures = { paths, ...lookups.figures, ...gets }
    log(`d = ${paths}: ${JSON.stringify(figures)}`)
    runs.push(figures)
  }
  return {
    nodes: options.nodes,
    adversarial: options.adversarial,
    adversaries: adversary.members.size,
    k: net.nodes[0]!.options.k,
    seed: options.seed,
    join: options.join,
    lookupCeiling: round(lookupCeiling, 4),
    buildSeconds: round(buildSeconds, 1),
    runs,
  }
}

/** `count` trues among `n`, at places drawn from a random source of their own. */
function shuffledRoles(n: number, count: number, seed: number): boolean[] {
  const random = seededRandom(seed ^ 0x5bd1e995)
  const roles = Array.from({ length: n }, (_, i) => i < count)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.float() * (i + 1))
    ;[roles[i], roles[j]] = [roles[j]!, roles[i]!]
  }
  return roles
}

function pick<T>(net: Testnet, items: readonly T[]): T {
  return items[Math.floor(net.random.float() * items.length)]!
}

/** Runs `job(i)` for i < count, `concurrency` at a time, on the network's clock. */
async function inBatches(net: Testnet, count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - i) }, (_, j) => job(i + j).catch(() => undefined))
    await net.run(Promise.all(batch))
  }
}

async function putAndGet(
  net: Testnet,
  honest: readonly KademliaNode[],
  paths: number,
  options: SybilOptions,
): Promise<{ getSuccess: number; messagesPerGet: number }> {
  const keys = Array.from({ length: options.values }, (_, i) => keyOf(`sybil ${options.seed}/${paths}/${i}`))
  const valueOf = (i: number): Uint8Array => new TextEncoder().encode(`value ${paths}/${i}`)
  await inBatches(net, keys.length, options.concurrency, async (i) => {
    await pick(net, honest).put(keys[i]!, valueOf(i), { paths })
  })
  let found = 0
  const messages: number[] = []
  await inBatches(net, keys.length, options.concurrency, async (i) => {
    const key = keys[i]!
    let getter = pick(net, honest)
    while (getter.records.meta(key) !== undefined) getter = pick(net, honest)
    const { value, trace } = await getter.get(key, { paths })
    messages.push(trace.messages)
    if (value !== undefined && toHex(value) === toHex(valueOf(i))) found++
  })
  return { getSuccess: round(found / keys.length, 4), messagesPerGet: round(mean(messages), 1) }
}

async function runLookups(
  net: Testnet,
  honest: readonly KademliaNode[],
  paths: number,
  options: SybilOptions,
): Promise<{ figures: Omit<PathFigures, 'paths' | 'getSuccess' | 'messagesPerGet'>; ceiling: number }> {
  const runs: { asker: Id; target: Id; closest: Id[]; messages: number }[] = []
  await inBatches(net, options.lookups, options.concurrency, async () => {
    const asker = pick(net, honest)
    const target = net.random.bytes(20)
    const { closest, trace } = await asker.findNode(target, { paths })
    runs.push({ asker: asker.id, target, closest, messages: trace.messages })
  })
  // The referee runs after the clock stops: brute force over the honest nodes but the asker.
  const honestIds = honest.map((node) => node.id)
  const allIds = net.live().map((node) => node.id)
  const k = net.nodes[0]!.options.k
  const shares: number[] = []
  const ceilings: number[] = []
  for (const run of runs) {
    const truth = trueClosest(honestIds, run.target, k, run.asker)
    const among = (ids: readonly Id[]): number => truth.filter((id) => ids.some((other) => idEquals(other, id))).length
    shares.push(among(run.closest) / truth.length)
    ceilings.push(among(trueClosest(allIds, run.target, k, run.asker)) / truth.length)
  }
  return {
    figures: {
      lookupSuccess: round(mean(shares), 4),
      lookupsAllFound: round(shares.filter((share) => share === 1).length / Math.max(1, shares.length), 4),
      messagesPerLookup: round(mean(runs.map((run) => run.messages)), 1),
    },
    ceiling: mean(ceilings),
  }
}
