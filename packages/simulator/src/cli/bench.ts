/**
 * bench:sim — builds an in-memory Kademlia network and prints its figures: a short table, and
 * with --json a last line holding one JSON object.
 *
 *   npx pnpm@10 bench:sim -- --nodes 10000 --lookups 1000 [--kill 0.25] [--seed 1] [--json]
 */
import { type BenchResult, runBench } from '../bench/scenario.ts'
import { parseFlags, usage, UsageError } from './args.ts'

const SPEC = {
  nodes: { kind: 'int', min: 2, max: 1_000_000, help: 'nodes in the network (default 1000)' },
  lookups: { kind: 'int', min: 1, help: 'random FIND_NODE lookups checked against brute force (default 1000)' },
  kill: { kind: 'float', min: 0, max: 0.99, help: 'fraction of nodes failed at once after the values are put (default 0: no failure phase)' },
  values: { kind: 'int', min: 1, help: 'values put before the failure (default 1000)' },
  seed: { kind: 'int', min: 0, help: 'seed for ids, latencies and choices (default 1)' },
  wire: { kind: 'bool', help: 'encode and parse every message (default: on up to 20,000 nodes; --no-wire shares message objects)' },
  'self-join': { kind: 'bool', help: 'joins do the self-lookup only, no far-bucket refresh (about 10x cheaper builds)' },
  concurrency: { kind: 'int', min: 1, max: 10_000, help: 'lookups, puts and gets at once (default 100)' },
  paths: { kind: 'int', min: 1, max: 64, help: 'disjoint lookup paths of every node (default: the core default, disjointPaths)' },
  json: { kind: 'bool', help: 'print one JSON object as the last line' },
  help: { kind: 'bool', help: 'show this help' },
} as const

function table(r: BenchResult): string {
  const rows: [string, string][] = [
    ['nodes', `${r.nodes} (k=${r.k}, α=${r.alpha}, d=${r.paths}, ${r.join} join, wire ${r.wire ? 'on' : 'off'}, seed ${r.seed})`],
    ['build', `${r.buildSeconds} s wall, ${r.virtualSeconds} s simulated in all`],
    ['lookups', `${r.lookups} at ${r.lookupsPerSecond}/s`],
    ['exact k closest', `${(r.exactK * 100).toFixed(2)} %`],
    ['rounds', `p50 ${r.rounds.p50}  p90 ${r.rounds.p90}  p99 ${r.rounds.p99}  max ${r.rounds.max}  mean ${r.rounds.mean}`],
    ['messages/lookup', `mean ${r.messages.mean}  p99 ${r.messages.p99}`],
  ]
  if (r.getSuccess !== null && r.replication !== null) {
    rows.push(['failed at once', `${r.killed} nodes; ${r.values} values put before`])
    rows.push(['get success', `${(r.getSuccess * 100).toFixed(2)} %`])
    if (r.gets !== null) {
      rows.push(['get ms (virtual)', `p50 ${r.gets.ms.p50}  p90 ${r.gets.ms.p90}  p99 ${r.gets.ms.p99}  max ${r.gets.ms.max}`])
      rows.push(['requests/get', `mean ${r.gets.requests.mean}  p99 ${r.gets.requests.p99}`])
      rows.push(['put ms (virtual)', `p50 ${r.gets.putMs.p50}  p90 ${r.gets.putMs.p90}  p99 ${r.gets.putMs.p99}  max ${r.gets.putMs.max}`])
    }
    rows.push([
      'replication pass',
      `fewest live holders ${r.replication.minHoldersBefore} → ${r.replication.minHoldersAfter}; ` +
        `${(r.replication.atLeastK * 100).toFixed(1)} % of values on ≥ k nodes`,
    ])
  }
  rows.push(['memory', `heap ${r.heapMB} MB, rss ${r.rssMB} MB`])
  return rows.map(([name, value]) => `${name.padEnd(18)} ${value}`).join('\n')
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), SPEC)
  if (flags.help === true) {
    console.log(usage('bench:sim --', SPEC))
    return
  }
  const nodes = flags.nodes ?? 1000
  const result = await runBench({
    nodes,
    lookups: flags.lookups ?? 1000,
    kill: flags.kill ?? 0,
    values: flags.values ?? 1000,
    seed: flags.seed ?? 1,
    wire: flags.wire ?? nodes <= 20_000,
    concurrency: flags.concurrency ?? 100,
    paths: flags.paths,
    join: flags['self-join'] === true ? 'self' : 'full',
    log: (line) => process.stderr.write(`${line}\n`),
  })
  console.log(table(result))
  if (flags.json === true) console.log(JSON.stringify(result))
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench:sim: ${error.message}\n${usage('bench:sim --', SPEC)}`)
    process.exit(2)
  }
  console.error(error)
  process.exit(1)
})
