/**
 * bench:sybil — a network where a fraction of the nodes attack (they answer lookups with each
 * other's IDs only and drop stores), and how lookups and gets over d disjoint paths fare, against
 * a single path.
 *
 *   npm run bench:sybil -- --nodes 10000 --adversarial 0.2 [--paths d] [--json]
 *   npm run bench:sybil -- --nodes 10000 --sweep      (the README table: f = 0…30 %, d = 1, 2, 4, 8)
 *
 * Nodes join as in the paper (self-lookup, then a refresh of every far bucket), so routing tables
 * are full before the attack starts; --self-join builds about ten times faster.
 */
import { DEFAULTS } from '@browser-dht/kademlia'
import { type PathFigures, runSybil, type SybilResult } from '../bench/sybil.ts'
import { parseFlags, usage, UsageError } from './args.ts'

const SPEC = {
  nodes: { kind: 'int', min: 2, max: 1_000_000, help: 'nodes in the network, adversarial ones included (default 10000)' },
  adversarial: { kind: 'float', min: 0, max: 0.9, help: 'fraction of the nodes that are adversarial (default 0.2)' },
  paths: { kind: 'int', min: 1, max: 64, help: `disjoint lookup paths to compare with 1 (default ${DEFAULTS.disjointPaths}, the node default)` },
  lookups: { kind: 'int', min: 1, help: 'random lookups per d, checked against brute force (default 500)' },
  values: { kind: 'int', min: 1, help: 'values put and got per d (default 500)' },
  seed: { kind: 'int', min: 0, help: 'seed for ids, roles, latencies and choices (default 1)' },
  concurrency: { kind: 'int', min: 1, max: 10_000, help: 'operations at once (default 100)' },
  'self-join': { kind: 'bool', help: "joins do the self-lookup only (~10x cheaper builds; far buckets keep room the attack fills)" },
  sweep: { kind: 'bool', help: 'd = 1, 2, 4, 8 on one network per f = 0, 0.1, 0.2, 0.3 (or the --adversarial given); a markdown table' },
  json: { kind: 'bool', help: 'print one JSON object as the last line' },
  help: { kind: 'bool', help: 'show this help' },
} as const

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

function table(r: SybilResult): string {
  const head = `${r.nodes} nodes, ${r.adversaries} adversarial (${pct(r.adversarial)}), k = ${r.k}, ${r.join} join, seed ${r.seed}; built in ${r.buildSeconds} s`
  const rows = r.runs.map(
    (f) =>
      `d = ${String(f.paths).padEnd(3)} lookup success ${pct(f.lookupSuccess).padStart(7)} (all k found ${pct(f.lookupsAllFound).padStart(7)}), ` +
      `get success ${pct(f.getSuccess).padStart(7)}, messages per lookup ${f.messagesPerLookup}, per get ${f.messagesPerGet}`,
  )
  const ceiling = `a lookup returning exactly the k closest live nodes would score ${pct(r.lookupCeiling)} (answering adversaries among them)`
  return [head, ...rows, ceiling].join('\n')
}

function summary(r: SybilResult): object {
  const single = r.runs.find((f) => f.paths === 1)
  const chosen = r.runs.at(-1)!
  const { paths: _paths, ...singleFigures } = single ?? chosen
  return {
    nodes: r.nodes,
    adversarial: r.adversarial,
    paths: chosen.paths,
    lookupSuccess: chosen.lookupSuccess,
    getSuccess: chosen.getSuccess,
    single: singleFigures,
  }
}

async function sweep(base: Parameters<typeof runSybil>[0], fractions: readonly number[]): Promise<void> {
  const D = [1, 2, 4, 8]
  const cell = (f: PathFigures): string => `${pct(f.getSuccess)} / ${pct(f.lookupSuccess)} / ${f.messagesPerLookup}`
  console.log(`| adversarial | ${D.map((d) => `d = ${d}`).join(' | ')} | ceiling |`)
  console.log(`|--:|${D.map(() => '--:').join('|')}|--:|`)
  for (const adversarial of fractions) {
    const r = await runSybil({ ...base, adversarial, paths: D })
    console.log(`| ${pct(adversarial)} | ${r.runs.map(cell).join(' | ')} | ${pct(r.lookupCeiling)} |`)
  }
  console.log('cells: get success / lookup success / messages per lookup')
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), SPEC)
  if (flags.help === true) {
    console.log(usage('bench:sybil --', SPEC))
    return
  }
  const d = flags.paths ?? DEFAULTS.disjointPaths
  const options = {
    nodes: flags.nodes ?? 10_000,
    adversarial: flags.adversarial ?? 0.2,
    paths: d === 1 ? [1] : [1, d],
    lookups: flags.lookups ?? 500,
    values: flags.values ?? 500,
    seed: flags.seed ?? 1,
    concurrency: flags.concurrency ?? 100,
    join: flags['self-join'] === true ? ('self' as const) : ('full' as const),
    log: (line: string) => process.stderr.write(`${line}\n`),
  }
  if (flags.sweep === true) return sweep(options, flags.adversarial === undefined ? [0, 0.1, 0.2, 0.3] : [flags.adversarial])
  const result = await runSybil(options)
  console.log(table(result))
  if (flags.json === true) console.log(JSON.stringify(summary(result)))
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench:sybil: ${error.message}\n${usage('bench:sybil --', SPEC)}`)
    process.exit(2)
  }
  console.error(error)
  process.exit(1)
})
