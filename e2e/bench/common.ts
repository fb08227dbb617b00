/**
 * What the benchmarks share: option parsing, percentiles, the headless Chromium they launch, the
 * app server they start (apps/web/server.ts with `--no-peer`: the benchmark decides which Node
 * peers run), the typed `window.__dht` hook, and this process tree's memory from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { type Browser, chromium, type Page } from '@playwright/test'
import type { DhtHook, HookOpResult, HookStatus } from '../../apps/web/src/hook-types.ts'
import { hook as testHook } from '../tests/support.ts'
import { ONE_ADDRESS_TUNABLES } from '../tests/one-address.ts'
import { startProgram } from '../tests/process.ts'
// The project's one percentile (nearest rank; NaN for no values). By path: e2e does not depend on the simulator package.
import { percentile } from '../../packages/simulator/src/stats.ts'

import { sleep } from './timing.ts'

/** Progress goes to stderr (`log`); stdout carries the results. */
export { log, sleep, timed } from './timing.ts'

export type { HookOpResult, HookStatus }

/** Exits with `message` and the usage text (status 2), as a bad option should. */
export function usageError(message: string, help: string): never {
  console.error(`${message}\n\n${help}`)
  process.exit(2)
}

/** The command line's options (`--help` prints `help` and exits; a bad option exits with it). */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(options: T, help: string): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
  let values: ReturnType<typeof parseArgs<{ options: T }>>['values']
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean' } } }).values as typeof values
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error), help)
  }
  if ((values as { help?: boolean }).help === true) {
    console.log(help)
    process.exit(0)
  }
  return values
}

/** A whole number from `min` to `max`, or exit with a clear message. */
export function wholeOption(name: string, raw: string, min: number, max: number, help: string): number {
  const n = Number(raw)
  if (/^\d+$/.test(raw) && n >= min && n <= max) return n
  return usageError(`--${name} must be a whole number from ${min} to ${max}, not "${raw}".`, help)
}

/** A number (decimals allowed) from `min` to `max`, or exit with a clear message. */
export function numberOption(name: string, raw: string, min: number, max: number, help: string): number {
  const n = Number(raw)
  if (/^\d+(\.\d+)?$/.test(raw) && n >= min && n <= max) return n
  return usageError(`--${name} must be a number from ${min} to ${max}, not "${raw}".`, help)
}

export { percentile }
export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length
export const round = (n: number, digits = 2): number => Number(n.toFixed(digits))
export const summary = (values: readonly number[]): { p50: number; p99: number } => ({ p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) })

/** Counts by name, summed. */
export function sumCounts(records: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {}
  for (const record of records) for (const [key, n] of Object.entries(record)) total[key] = (total[key] ?? 0) + n
  return total
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!

export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}

/** Headless system Chromium with loopback WebRTC (the e2e tests' flags). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--allow-loopback-in-peer-connection', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export interface AppServer {
  /** http://127.0.0.1:PORT */
  url: string
  /** ws://127.0.0.1:PORT/signal */
  signalUrl: string
  stop(): Promise<void>
}

/** Starts the one-process server (built app + signaling, no Node peer) on a free 127.0.0.1 port. */
export async function startServer(): Promise<AppServer> {
  const started = await startProgram('apps/web/server.ts', ['--port', '0', '--host', '127.0.0.1', '--no-peer', ...ONE_ADDRESS_TUNABLES], /http:\/\/(127\.0\.0\.1:\d+)\//)
  const host = started.match[1]!
  return { url: `http://${host}`, signalUrl: `ws://${host}/signal`, stop: started.stop }
}

/** The page's test hook (`window.__dht`, apps/web/src/test-hook.ts), driven from Node. */
export const hook = {
  ...testHook,
  ready: (page: Page): Promise<unknown> => page.waitForFunction(() => window.__dht !== undefined),
  ping: (page: Page, peerHex: string): Promise<number | undefined> => page.evaluate((hex) => window.__dht!.ping(hex), peerHex),
  probe: (page: Page, peerHex: string): Promise<{ ms: number } | { error: string }> => page.evaluate((hex) => window.__dht!.probe(hex), peerHex),
  counters: (page: Page): Promise<ReturnType<DhtHook['counters']>> => page.evaluate(() => window.__dht!.counters()),
}

interface OwnProcess {
  pid: number
  cmdline: string
  /** CPU time used so far (user + system), in seconds. */
  cpuS: number
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100

/** This process's descendants (Linux /proc); empty elsewhere. */
export function descendants(): OwnProcess[] {
  const stats = new Map<number, { ppid: number; cpuS: number }>()
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        // After "pid (comm) ": state ppid … utime (12th) stime (13th).
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        stats.set(Number(name), { ppid: Number(fields[1]), cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S })
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return []
  }
  const isOurs = (pid: number): boolean => {
    for (let p = stats.get(pid)?.ppid; p !== undefined && p > 1; p = stats.get(p)?.ppid) if (p === process.pid) return true
    return false
  }
  const ours: OwnProcess[] = []
  for (const [pid, { cpuS }] of stats) {
    if (!isOurs(pid)) continue
    try {
      ours.push({ pid, cpuS, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') })
    } catch {
      // ended meanwhile
    }
  }
  return ours
}

/**
 * CPU used by this process and its descendants between two `sample()` calls, in cores (CPU
 * seconds per second), by the group `groupOf` puts each process in (by its command line).
 * Processes that ended between samples are missed for their last interval.
 */
export class CpuMeter {
  #last = new Map<number, number>()
  #at = performance.now()

  constructor(readonly groupOf: (cmdline: string) => string) {
    this.sample()
  }

  sample(): Record<string, number> {
    const now = performance.now()
    const seconds = (now - this.#at) / 1000
    const self = process.cpuUsage()
    const processes = [...descendants(), { pid: process.pid, cmdline: 'self', cpuS: (self.user + self.system) / 1e6 }]
    const used: Record<string, number> = {}
    const next = new Map<number, number>()
    for (const { pid, cmdline, cpuS } of processes) {
      next.set(pid, cpuS)
      const group = this.groupOf(cmdline)
      used[group] = (used[group] ?? 0) + (cpuS - (this.#last.get(pid) ?? 0))
    }
    this.#last = next
    this.#at = now
    return Object.fromEntries(Object.entries(used).map(([group, s]) => [group, round(s / seconds, 2)]))
  }
}

/** One field (in kB) of /proc/PID/FILE, e.g. `Pss` of smaps_rollup or `VmRSS` of status. */
export function procKb(pid: number | 'self', file: 'smaps_rollup' | 'status', field: 'Pss' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/** Renderer processes among this process's descendants, with their PSS in MB. */
export function rendererPssMb(): { processes: number; mb: number } | undefined {
  let kb = 0
  let processes = 0
  for (const { pid, cmdline } of descendants()) {
    if (!cmdline.includes('--type=renderer')) continue
    const pss = procKb(pid, 'smaps_rollup', 'Pss')
    if (pss === undefined) continue
    kb += pss
    processes++
  }
  return processes === 0 ? undefined : { processes, mb: kb / 1024 }
}

/** PSS in MB of this process and all its descendants (Chromium, server, peer hosts). */
export function treePssMb(): number {
  let kb = procKb('self', 'smaps_rollup', 'Pss') ?? 0
  for (const { pid } of descendants()) kb += procKb(pid, 'smaps_rollup', 'Pss') ?? 0
  return kb / 1024
}
