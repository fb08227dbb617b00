/**
 * bench:sim-churn — what churn replication costs (requests per churn replication, per lost copy)
 * and whether records stay on their true k closest, in the simulator (bench/churn.ts). Every
 * setting runs on the same `runs` seeds; the table shows medians over the runs and the ratio of
 * each setting to the first.
 *
 *   npm run bench:sim-churn -- [--nodes 300] [--records 300] [--fails 30] [--runs 3] [--json]
 */
import { type ChurnFigures, type ChurnSetting, runChurnSetting } from '../bench/churn.ts'
import { percentile, round } from '../stats.ts'
import { parseFlags, usage, UsageError } from './args.ts'

const SPEC = {
  nodes: { kind: 'int', min: 2, max: 100_000, help: 'nodes in the network (default 300)' },
  records: { kind: 'int', min: 1, help: 'records put before the churn (default 300)' },
  fails: { kind: 'int', min: 1, help: 'nodes that fail, one per interval (default 30)' },
  interval: { kind: 'int', min: 0, help: 'seconds between failures (default 10, as bench:churn at 6 a minute)' },
  settle: { kind: 'int', min: 0, help: 'seconds the network settles after the puts and after the last failure (default 60)' },
  joins: { kind: 'bool', help: 'a new node joins after each failure, so the network keeps its size (default on; --no-joins)' },
  k: { kind: 'int', min: 1, max: 64, help: 'k (default 20)' },
  runs: { kind: 'int', min: 1, max: 100, help: 'seeds, each run with every setting (default 3)' },
  seed: { kind: 'int', min: 0, help: 'first seed (default 1)' },
  concurrency: { kind: 'int', min: 1, max: 10_000, help: 'joins, puts and gets at once (default 100)' },
  json: { kind: 'bool', help: 'print one JSON object as the last line' },
  help: { kind: 'bool', help: 'show this help' },
} as const

/** What is compared: the first setting is the reference of the ratios. */
const SETTINGS: ChurnSetting[] = [
  { name: 'churn replication', tunables: {} },
  { name: 'off', tunables: { churnReplicateDelayMs: 0 } },
]

/** The figures the table shows, medians over the runs. */
const SHOWN = ['failedPuts', 'lostCopies', 'churnReplications', 'churnLookups', 'requests', 'findNodes', 'stores', 'joinRequests', 'requestsPerReplication', 'requestsPerLostCopy', 'onTrueClosest', 'missingCopies', 'valuesLost', 'getSuccess'] as const
type Shown = (typeof SHOWN)[number]

function medians(runs: readonly ChurnFigures[]): Record<Shown, number> {
  return Object.fromEntries(SHOWN.map((name) => [name, percentile(runs.map((run) => run[name]), 50)])) as Record<Shown, number>
}

function table(settings: readonly { name: string; median: Record<Shown, number> }[]): string {
  const reference = settings[0]!.median
  const header = ['figure (median)', ...settings.map((s) => s.name), ...settings.slice(1).map((s) => `${s.name} / ${settings[0]!.name}`)]
  const rows = SHOWN.map((name) => [
    name,
    ...settings.map((s) => String(s.median[name])),
    ...settings.slice(1).map((s) => (reference[name] === 0 ? '-' : String(round(s.median[name] / reference[name], 3)))),
  ])
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)))
  return [header, ...rows].map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n')
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), SPEC)
  if (flags.help === true) {
    console.log(usage('bench:sim-churn --', SPEC))
    return
  }
  const options = {
    nodes: flags.nodes ?? 300,
    records: flags.records ?? 300,
    fails: flags.fails ?? 30,
    intervalMs: (flags.interval ?? 10) * 1000,
    settleMs: (flags.settle ?? 60) * 1000,
    joins: flags.joins ?? true,
    k: flags.k ?? 20,
    seed: flags.seed ?? 1,
    concurrency: flags.concurrency ?? 100,
    log: (line: string) => process.stderr.write(`${line}\n`),
  }
  const runs = flags.runs ?? 3
  const figures: ChurnFigures[] = []
  for (let run = 0; run < runs; run++) {
    for (const setting of SETTINGS) {
      const result = await runChurnSetting(options, setting, options.seed + run)
      options.log(`seed ${result.seed}, ${setting.name}: ${JSON.stringify(result)}`)
      figures.push(result)
    }
  }
  const settings = SETTINGS.map(({ name }) => ({ name, median: medians(figures.filter((f) => f.setting === name)) }))
  const { log, ...shown } = options
  console.log(`${options.nodes} nodes, k = ${options.k}, ${options.records} records, ${options.fails} failures ${options.intervalMs / 1000} s apart${options.joins ? ' (a join after each)' : ''}, ${runs} runs (seeds ${options.seed}..${options.seed + runs - 1})`)
  console.log(table(settings))
  if (flags.json === true) console.log(JSON.stringify({ options: { ...shown, runs }, settings, runs: figures }))
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench:sim-churn: ${error.message}\n${usage('bench:sim-churn --', SPEC)}`)
    process.exit(2)
  }
  console.error(error)
  process.exit(1)
})
