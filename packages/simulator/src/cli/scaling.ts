/**
 * bench:scaling — how lookup rounds grow with the network size. Runs bench:sim once per size (each
 * in its own process, so memory is returned between runs), keeps every result in
 * docs/scaling/results.json (a later run adds or replaces points), and redraws
 * docs/scaling/rounds-vs-n.svg and the table in docs/scaling/README.md from all of them.
 *
 *   npm run bench:scaling -- --sizes 100,1000,10000 [--lookups 1000] [--self-join]
 *   npm run bench:scaling -- --render-only      (redraw from results.json)
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchResult } from '../bench/scenario.ts'
import { lineChartSvg, type Series } from '../bench/plot.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..')
const outDir = join(root, 'docs/scaling')
const resultsFile = join(outDir, 'results.json')

function parseArgs(argv: string[]): { sizes: number[]; passThrough: string[] } {
  const passThrough: string[] = []
  let sizes = [100, 300, 1000, 3000, 10_000]
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (arg === '--render-only') {
      sizes = []
    } else if (arg === '--sizes') {
      sizes = (argv[++i] ?? '').split(',').map(Number)
      if (sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--sizes takes whole numbers ≥ 2, comma-separated')
    } else {
      passThrough.push(arg)
    }
  }
  return { sizes, passThrough }
}

function load(): BenchResult[] {
  try {
    return JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResult[]
  } catch {
    return []
  }
}

function runOne(nodes: number, passThrough: string[]): BenchResult {
  const bench = join(root, 'packages/simulator/src/cli/bench.ts')
  const args = ['--max-old-space-size=12000', '--max-semi-space-size=64', '--expose-gc', '--conditions=source', '--import', 'tsx', bench]
  const run = spawnSync(process.execPath, [...args, '--nodes', String(nodes), ...passThrough, '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 2 ** 20,
  })
  if (run.status !== 0) throw new Error(`bench:sim --nodes ${nodes} failed with status ${run.status}`)
  process.stdout.write(run.stdout.split('\n').slice(0, -2).join('\n') + '\n\n')
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as BenchResult
}

function render(results: BenchResult[]): void {
  const byJoin = (join: string) => results.filter((r) => r.join === join).sort((a, b) => a.nodes - b.nodes)
  const sizes = [...new Set(results.map((r) => r.nodes))].sort((a, b) => a - b)
  const series: Series[] = [{ name: 'log2(N)', color: '#888', dashed: true, points: sizes.map((n) => ({ x: n, y: Math.log2(n) })) }]
  const colors = { full: ['#1f77b4', '#d62728'], self: ['#2ca02c', '#ff7f0e'] }
  for (const mode of ['full', 'self'] as const) {
    const rows = byJoin(mode)
    if (rows.length === 0) continue
    series.push({ name: `p50 rounds (${mode} join)`, color: colors[mode][0]!, points: rows.map((r) => ({ x: r.nodes, y: r.rounds.p50 })) })
    series.push({ name: `p99 rounds (${mode} join)`, color: colors[mode][1]!, points: rows.map((r) => ({ x: r.nodes, y: r.rounds.p99 })) })
  }
  const svg = lineChartSvg({ title: 'Lookup rounds versus network size (k=20, α=3)', xLabel: 'nodes (N, log scale)', yLabel: 'rounds', series })
  writeFileSync(join(outDir, 'rounds-vs-n.svg'), svg)
  const lines = [
    '| N | join | log2(N) | rounds p50 | p90 | p99 | max | mean | messages mean | exact k | build s | heap MB |',
    '|--:|:-----|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...[...results]
      .sort((a, b) => a.join.localeCompare(b.join) || a.nodes - b.nodes)
      .map(
        (r) =>
          `| ${r.nodes.toLocaleString('en-US')} | ${r.join} | ${Math.log2(r.nodes).toFixed(1)} | ${r.rounds.p50} | ${r.rounds.p90} | ` +
          `${r.rounds.p99} | ${r.rounds.max} | ${r.rounds.mean} | ${r.messages.mean} | ${r.exactK} | ${r.buildSeconds} | ${r.heapMB} |`,
      ),
  ]
  const readme = readFileSync(join(outDir, 'README.md'), 'utf8')
  const marker = /<!-- table -->[\s\S]*<!-- \/table -->/
  writeFileSync(join(outDir, 'README.md'), readme.replace(marker, `<!-- table -->\n${lines.join('\n')}\n<!-- /table -->`))
  console.log(lines.join('\n'))
}

function main(): void {
  const { sizes, passThrough } = parseArgs(process.argv.slice(2))
  mkdirSync(outDir, { recursive: true })
  let results = load()
  for (const nodes of sizes) {
    const result = runOne(nodes, passThrough)
    results = [...results.filter((r) => !(r.nodes === result.nodes && r.join === result.join)), result]
    writeFileSync(resultsFile, JSON.stringify(results, null, 1) + '\n')
  }
  render(results)
}

main()
