/**
 * bittorrent-dht (a) beside this project's Node peers (b) on the same work, on 127.0.0.1 only:
 *
 *   npm run bench:compare -- [--nodes 200] [--runs 3] [--json]
 *
 * Each run runs both systems, one after the other in its own child process (compare-run.ts), in
 * alternating order (a then b, b then a, …): N nodes join, 100 puts from random nodes, 300 gets
 * of random stored values from random nodes that neither put nor hold them, one at a time, then
 * 20 s idle (compare-work.ts). b enters through a signaling server started for its run (its own
 * process; its CPU is reported beside, not in, b's). Prints the medians over the runs with the
 * ratio b / a; with --json one JSON object as the last line. Progress goes to stderr.
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startSignalingServer } from '../tests/support.ts'
import { descendants, log, numberOption, parseOptions, sleep, wholeOption } from './common.ts'
import { figuresOf, type Measured, medianFigures, printReport, type SystemName } from './compare-report.ts'
import type { RunResult } from './compare-work.ts'

const HELP = `Usage: npm run bench:compare -- [--nodes 200] [--runs 3] [--json]

  --nodes <n>   nodes of each system, all in one process per system, 2–1000   default 200
  --runs <r>    runs, each of both systems, in alternating order, 1–20       default 3
  --puts <n>    puts, one at a time, 1–10000                                  default 100
  --gets <n>    gets of random stored values, one at a time, 1–100000         default 300
  --idle <s>    seconds idle after the gets, 1–600                            default 20
  --json        print one JSON object as the last line

a = bittorrent-dht 11 (UDP, k = 20, concurrency 16); b = this project's Node peers (WebRTC via
node-datachannel, k = 20, α = 3, budget 32). Every socket is on 127.0.0.1.`

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** A system's run that has not ended in this long is killed (and the benchmark fails). */
const RUN_TIMEOUT_MS = 30 * 60_000

interface Options {
  nodes: number
  runs: number
  puts: number
  gets: number
  idle: number
  json: boolean
}

function options(): Options {
  const values = parseOptions(
    {
      nodes: { type: 'string', default: '200' },
      runs: { type: 'string', default: '3' },
      puts: { type: 'string', default: '100' },
      gets: { type: 'string', default: '300' },
      idle: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    },
    HELP,
  )
  return {
    nodes: wholeOption('nodes', values.nodes, 2, 1000, HELP),
    runs: wholeOption('runs', values.runs, 1, 20, HELP),
    puts: wholeOption('puts', values.puts, 1, 10_000, HELP),
    gets: wholeOption('gets', values.gets, 1, 100_000, HELP),
    idle: numberOption('idle', values.idle, 1, 600, HELP),
    json: values.json,
  }
}

/** Runs compare-run.ts for one system; its last stdout line is the result. */
function runChild(name: string, args: string[]): Promise<RunResult> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'e2e/bench/compare-run.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line))
  createInterface({ input: child.stderr }).on('line', (line) => log(`[${name}] ${line}`))
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`${name} exited (${signal ?? code})`))
      try {
        resolve(JSON.parse(lines.at(-1) ?? '') as RunResult)
      } catch {
        reject(new Error(`${name} printed no result`))
      }
    })
  })
}

/** CPU seconds the signaling server process has used so far (/proc). */
const signalingCpuS = (): number => descendants().find((p) => p.cmdline.includes('signaling-server/src/cli.ts'))?.cpuS ?? Number.NaN

async function runSystem(system: SystemName, run: number, o: Options): Promise<Measured> {
  const name = `${system}, run ${run + 1}`
  const args = ['--system', system, '--nodes', String(o.nodes), '--puts', String(o.puts), '--gets', String(o.gets), '--idle', String(o.idle)]
  log(`${name}: ${system === 'a' ? 'bittorrent-dht' : 'Node peers'}, ${o.nodes} nodes (load ${loadavg()[0]!.toFixed(2)})`)
  if (system === 'a') return { result: await runChild(name, args) }
  const signaling = await startSignalingServer()
  try {
    const cpu0 = signalingCpuS()
    const result = await runChild(name, [...args, '--signal', signaling.url])
    return { result, signalingCpuS: signalingCpuS() - cpu0 }
  } finally {
    await signaling.stop()
  }
}

async function main(): Promise<void> {
  const o = options()
  const measured: Record<SystemName, Measured[]> = { a: [], b: [] }
  const orders: string[] = []
  for (let run = 0; run < o.runs; run++) {
    const order: SystemName[] = run % 2 === 0 ? ['a', 'b'] : ['b', 'a']
    orders.push(order.join(''))
    for (const system of order) {
      const m = await runSystem(system, run, o)
      measured[system].push(m)
      log(`${system}, run ${run + 1}: ${JSON.stringify(figuresOf(m))}`)
      await sleep(2000)
    }
  }
  printReport({ nodes: o.nodes, runs: o.runs, orders, a: medianFigures(measured.a), b: medianFigures(measured.b), measured }, o.json)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
