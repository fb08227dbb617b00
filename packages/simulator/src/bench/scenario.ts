/**
 * The benchmark scenarios: build a network, run random FIND_NODE lookups checked against brute
 * force, and optionally put values, fail a fraction of the nodes at once and measure how many
 * values can still be read, and how many holders one replication pass restores.
 */
import { type Id, idEquals, keyOf, type KademliaNode } from '@browser-dht/kademlia'
import { trueClosest } from '../brute-force.ts'
import { mean, type Percentiles, percentiles, round } from '../stats.ts'
import { Testnet } from '../testnet.ts'

export interface BenchOptions {
  nodes: number
  lookups: number
  /** Fraction of nodes to fail at once after the values are put (0 = skip the failure phase). */
  kill: number
  /** Values put before the failure. */
  values: number
  seed: number
  /** Encode and parse every message (slower; off for very large runs). */
  wire: boolean
  /** Lookups run at once. */
  concurrency: number
  /** Disjoint lookup paths (every node's `disjointPaths`); undefined: the core's default. */
  paths?: number | undefined
  /** 'full': the paper's join (self-lookup, then refresh far buckets); 'self': self-lookup only. */
  join: 'full' | 'self'
  /** Progress lines go here (stderr in the CLI). */
  log: (line: string) => void
}

export interface ReplicationFigures {
  /** Fewest live holders of any value after the failure, before repair. */
  minHoldersBefore: number
  /** Fewest live holders of any value after one replication pass. */
  minHoldersAfter: number
  /** Fraction of values on at least k live nodes after the pass. */
  atLeastK: number
}

/** The gets after the failure: their virtual duration and the requests each sent. */
export interface GetFigures {
  ms: Percentiles
  requests: { mean: number; p99: number }
  /** Puts of new values after the failure (one per 10 values put before): virtual duration, lookup and STOREs. */
  putMs: Percentiles
}

export interface BenchResult {
  nodes: number
  lookups: number
  seed: number
  k: number
  alpha: number
  /** Disjoint lookup paths. */
  paths: number
  wire: boolean
  join: 'full' | 'self'
  exactK: number
  rounds: Percentiles & { mean: number }
  messages: { mean: number; p99: number }
  getSuccess: number | null
  /** The gets after the failure (null without one). */
  gets: GetFigures | null
  killed: number
  values: number
  replication: ReplicationFigures | null
  buildSeconds: number
  lookupsPerSecond: number
  heapMB: number
  rssMB: number
  virtualSeconds: number
}

const K = 20

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options
  const paths = options.paths === undefined ? {} : { disjointPaths: options.paths }
  const net = new Testnet({ seed: options.seed, wire: options.wire, joinRefresh: options.join === 'full', ...paths })
  const buildStart = performance.now()
  let lastLog = 0
  await net.grow(options.nodes, (joined) => {
    if (performance.now() - lastLog > 5000 || joined === options.nodes) {
      lastLog = performance.now()
      log(`built ${joined}/${options.nodes} nodes in ${((performance.now() - buildStart) / 1000).toFixed(0)} s`)
    }
  })
  const buildSeconds = (performance.now() - buildStart) / 1000

  const { samples: lookups, seconds: lookupSeconds } = await runLookups(net, options)
  log(`${options.lookups} lookups in ${lookupSeconds.toFixed(1)} s (brute-force check not included)`)

  let getSuccess: number | null = null
  let gets: GetFigures | null = null
  let replication: ReplicationFigures | null = null
  let killed = 0
  if (options.kill > 0) {
    const failure = await runFailure(net, options)
    ;({ getSuccess, gets, replication, killed } = failure)
  }

  const memory = measureMemory()
  const rounds = lookups.map((l) => l.rounds)
  const messages = lookups.map((l) => l.messages)
  return {
    nodes: options.nodes,
    lookups: options.lookups,
    seed: options.seed,
    k: K,
    alpha: net.nodes[0]!.options.alpha,
    paths: net.nodes[0]!.options.disjointPaths,
    wire: options.wire,
    join: options.join,
    exactK: round(lookups.filter((l) => l.exact).length / Math.max(1, lookups.length), 4),
    rounds: { ...percentiles(rounds), mean: round(mean(rounds), 2) },
    messages: { mean: round(mean(messages), 1), p99: percentiles(messages).p99 },
    getSuccess,
    gets,
    killed,
    values: options.kill > 0 ? options.values : 0,
    replication,
    buildSeconds: round(buildSeconds, 1),
    lookupsPerSecond: round(options.lookups / lookupSeconds, 0),
    ...memory,
    virtualSeconds: round((net.clock.now() - 1_000_000) / 1000, 0),
  }
}

interface LookupSample {
  exact: boolean
  rounds: number
  messages: number
}

async function runLookups(net: Testnet, options: BenchOptions): Promise<{ samples: LookupSample[]; seconds: number }> {
  const runs: { asker: Id; target: Id; closest: Id[]; rounds: number; messages: number }[] = []
  const started = performance.now()
  for (let done = 0; done < options.lookups; ) {
    const batch = Math.min(options.concurrency, options.lookups - done)
    const jobs = Array.from({ length: batch }, () => {
      const asker = net.pick()
      const target = net.random.bytes(20)
      return asker.findNode(target).then(({ closest, trace }) => {
        runs.push({ asker: asker.id, target, closest, rounds: trace.rounds, messages: trace.messages })
      })
    })
    await net.run(Promise.all(jobs))
    done += batch
  }
  const seconds = (performance.now() - started) / 1000
  // The referee runs after the clock stops: brute force over every live node but the asker.
  const liveIds = net.live().map((node) => node.id)
  const samples = runs.map((run) => {
    const truth = trueClosest(liveIds, run.target, K, run.asker)
    const exact = run.closest.length === truth.length && run.closest.every((id, i) => idEquals(id, truth[i]!))
    return { exact, rounds: run.rounds, messages: run.messages }
  })
  return { samples, seconds }
}

async function runFailure(
  net: Testnet,
  options: BenchOptions,
): Promise<{ getSuccess: number; gets: GetFigures; replication: ReplicationFigures; killed: number }> {
  const { log } = options
  const keys: Id[] = []
  for (let i = 0; i < options.values; i += options.concurrency) {
    const batch = Array.from({ length: Math.min(options.concurrency, options.values - i) }, (_, j) => {
      const key = keyOf(`bench value ${options.seed}/${i + j}`)
      keys.push(key)
      return net.pick().put(key, new TextEncoder().encode(`value ${i + j}`))
    })
    await net.run(Promise.all(batch))
  }
  log(`put ${keys.length} values`)

  const victims = [...net.live()].sort(() => net.random.float() - 0.5).slice(0, Math.round(options.kill * net.nodes.length))
  await Promise.all(victims.map((node) => net.fail(node)))
  log(`failed ${victims.length} nodes at once`)

  let found = 0
  const durations: number[] = []
  const requests: number[] = []
  for (let i = 0; i < keys.length; i += options.concurrency) {
    const batch = keys.slice(i, i + options.concurrency).map((key) =>
      net
        .pick()
        .get(key)
        .then((result) => {
          if (result.value !== undefined) found++
          durations.push(result.trace.durationMs)
          requests.push(result.trace.messages)
        }, () => undefined),
    )
    await net.run(Promise.all(batch))
  }
  const getSuccess = round(found / keys.length, 4)
  const putMs = await timedPuts(net, Math.ceil(keys.length / 10), options)
  const gets = { ms: percentiles(durations), requests: { mean: round(mean(requests), 1), p99: percentiles(requests).p99 }, putMs: percentiles(putMs) }
  log(`get success after failure: ${getSuccess}`)

  const minHoldersBefore = Math.min(...keys.map((key) => holders(net.live(), key, net.clock.now())))
  await replicationPass(net, options.concurrency)
  const after = keys.map((key) => holders(net.live(), key, net.clock.now()))
  const replication = {
    minHoldersBefore,
    minHoldersAfter: Math.min(...after),
    atLeastK: round(after.filter((n) => n >= K).length / keys.length, 4),
  }
  log(`replication pass: fewest holders ${minHoldersBefore} → ${replication.minHoldersAfter}`)
  return { getSuccess, gets, replication, killed: victims.length }
}

/** `count` puts of new values by random live nodes, in batches: how long each took to resolve (virtual ms). */
async function timedPuts(net: Testnet, count: number, options: BenchOptions): Promise<number[]> {
  const durations: number[] = []
  for (let i = 0; i < count; i += options.concurrency) {
    const batch = Array.from({ length: Math.min(options.concurrency, count - i) }, (_, j) => {
      const started = net.clock.now()
      return net
        .pick()
        .put(keyOf(`bench value after ${options.seed}/${i + j}`), new TextEncoder().encode(`after ${i + j}`))
        .then(() => void durations.push(net.clock.now() - started), () => undefined)
    })
    await net.run(Promise.all(batch))
  }
  return durations
}

/** Every live node runs one replication pass, a batch at a time. */
async function replicationPass(net: Testnet, concurrency: number): Promise<void> {
  const holdersOfAnything = net.live().filter((node) => node.records.count > 0)
  for (let i = 0; i < holdersOfAnything.length; i += concurrency) {
    const batch = holdersOfAnything.slice(i, i + concurrency).map((node) => node.replicateNow())
    await net.run(Promise.all(batch))
  }
}

function holders(live: readonly KademliaNode[], key: Id, now: number): number {
  let count = 0
  for (const node of live) {
    const meta = node.records.meta(key)
    if (meta !== undefined && meta.expiresAt > now) count++
  }
  return count
}

function measureMemory(): { heapMB: number; rssMB: number } {
  ;(globalThis as { gc?: () => void }).gc?.()
  const usage = process.memoryUsage()
  return { heapMB: round(usage.heapUsed / 2 ** 20, 0), rssMB: round(usage.rss / 2 ** 20, 0) }
}
