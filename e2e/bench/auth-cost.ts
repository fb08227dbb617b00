/**
 * What authentication alone costs a get: `bench:browser` on this commit, with and without relay
 * authentication, alternating in one run.
 *
 *   npm run bench:auth-cost -- [--runs 5] [--budget 4] [--tabs 16] [--k 3] [--paths 1] [--ops 500] [--json]
 *
 * "Without" is a temporary git worktree of HEAD with `no-auth.patch` applied: relays carry a body
 * of the same size with a zero tag and no presence, the target takes every relay as its origin's,
 * and nodes on the way learn the way back from every relay (as before authentication existed).
 * Nothing else differs, so the ratio is authentication's own cost, not that of the routing rules
 * that came with it. The patch never ships: it lives here and is applied in the worktree only.
 * "With" is this working tree (commit first to compare like with like). Both web apps are built
 * first; runs alternate which tree goes first. Prints medians and the ratio with / without;
 * with --json the last line is one JSON object.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { log, parseOptions, percentile, round, wholeOption } from './common.ts'

const HELP = `Usage: npm run bench:auth-cost -- [--runs 5] [--budget 4] [--tabs 16] [--k 3] [--paths 1] [--ops 500] [--json]

  --runs <n>    bench:browser runs per side, alternating                 default 5
  --budget, --tabs, --k, --paths, --ops   passed to bench:browser       defaults 4, 16, 3, 1, 500
  --json        print one JSON object as the last line`

interface BrowserResult {
  getMs: { p50: number }
  getNetworkMs: { p50: number } | null
  dhtPingRelayedMs: { p50: number }
  tabCpuMsPerGet: number
}

const values = parseOptions(
  {
    runs: { type: 'string', default: '5' },
    budget: { type: 'string', default: '4' },
    tabs: { type: 'string', default: '16' },
    k: { type: 'string', default: '3' },
    paths: { type: 'string', default: '1' },
    ops: { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
  },
  HELP,
)
const runs = wholeOption('runs', values.runs, 1, 50, HELP)
// bench:browser checks these itself.
const settings = { budget: values.budget, tabs: values.tabs, k: values.k, paths: values.paths, ops: values.ops }
const passed = Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value])

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim()
const sh = (cwd: string, command: string, args: string[]): void => void execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] })

function buildApp(tree: string): void {
  sh(tree, 'node', ['scripts/pnpm.mjs', '--filter', '@browser-dht/web', 'run', 'build', '--logLevel', 'warn'])
}

function benchOnce(tree: string): Promise<BrowserResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--conditions=source', '--import', 'tsx', 'e2e/bench/browser.ts', ...passed, '--json'], { cwd: tree, stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`bench:browser in ${tree} exited with ${code}`))
      resolve(JSON.parse(last) as BrowserResult)
    })
  })
}

const median = (xs: readonly number[]): number => round(percentile(xs, 50))

async function main(): Promise<void> {
  const without = mkdtempSync(join(tmpdir(), 'bench-auth-cost-'))
  rmSync(without, { recursive: true })
  log(`worktree of HEAD without authentication: ${without}`)
  sh(root, 'git', ['worktree', 'add', '--detach', without, 'HEAD'])
  try {
    sh(without, 'git', ['apply', join(root, 'e2e/bench/no-auth.patch')])
    sh(without, 'node', ['scripts/pnpm.mjs', 'install', '--offline', '--frozen-lockfile', '--reporter=silent'])
    buildApp(root)
    buildApp(without)
    const results: Record<'with' | 'without', BrowserResult[]> = { with: [], without: [] }
    for (let i = 0; i < runs; i++) {
      const order: ('with' | 'without')[] = i % 2 === 0 ? ['with', 'without'] : ['without', 'with']
      for (const side of order) {
        const result = await benchOnce(side === 'with' ? root : without)
        results[side].push(result)
        log(`run ${i + 1}/${runs} ${side}: get p50 ${result.getMs.p50} ms, relayed PING p50 ${result.dhtPingRelayedMs.p50} ms`)
      }
    }
    const summarize = (rs: BrowserResult[]) => ({
      getMsP50: median(rs.map((r) => r.getMs.p50)),
      getNetworkMsP50: median(rs.map((r) => r.getNetworkMs?.p50 ?? 0)),
      dhtPingRelayedMsP50: median(rs.map((r) => r.dhtPingRelayedMs.p50)),
      tabCpuMsPerGet: median(rs.map((r) => r.tabCpuMsPerGet)),
      runs: rs.map((r) => r.getMs.p50),
    })
    const a = summarize(results.with)
    const b = summarize(results.without)
    const ratio = (x: number, y: number): number => round(x / y, 3)
    const rows: [string, number, number][] = [
      ['get p50 (ms)', a.getMsP50, b.getMsP50],
      ['get over the network p50 (ms)', a.getNetworkMsP50, b.getNetworkMsP50],
      ['relayed DHT PING p50 (ms)', a.dhtPingRelayedMsP50, b.dhtPingRelayedMsP50],
      ['tab CPU per get (ms)', a.tabCpuMsPerGet, b.tabCpuMsPerGet],
    ]
    console.log(`medians of ${runs} runs per side, ${passed.join(' ')}`)
    console.log(`${''.padEnd(30)}  ${'with'.padStart(8)}  ${'without'.padStart(8)}  ratio`)
    for (const [label, x, y] of rows) console.log(`${label.padEnd(30)}  ${String(x).padStart(8)}  ${String(y).padStart(8)}  ${ratio(x, y)}`)
    console.log(`get p50 per run: with ${a.runs.join(', ')}; without ${b.runs.join(', ')}`)
    const goal = ratio(a.getMsP50, b.getMsP50) <= 1.1
    console.log(`goal: authentication adds at most 10 % to get p50: ${goal ? 'met' : 'NOT met'}`)
    if (values.json) {
      console.log(JSON.stringify({ runs, ...Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, Number(value)])), with: a, without: b, getP50Ratio: ratio(a.getMsP50, b.getMsP50), relayedPingRatio: ratio(a.dhtPingRelayedMsP50, b.dhtPingRelayedMsP50) }))
    }
  } finally {
    sh(root, 'git', ['worktree', 'remove', '--force', without])
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
