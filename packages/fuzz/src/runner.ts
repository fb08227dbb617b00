/**
 * Runs fuzz targets and counts what escaped: exceptions thrown out of the code under test, broken
 * invariants, and unhandled rejections or uncaught exceptions while a target runs (process
 * listeners are installed for the run). It also measures the heap: heapUsed after a forced GC
 * once every target is warmed up, and again after the last frame, with every target still open,
 * so what the fed inputs left behind shows as growth.
 */
import { type FuzzSession, type FuzzTarget, InvariantError } from './target.ts'

export interface RunOptions {
  /** Frames in all, shared among the targets by weight. */
  frames: number
  seed: number
  targets: readonly FuzzTarget[]
  /** Progress lines. Default: none. */
  log?: (line: string) => void
}

export interface TargetResult {
  name: string
  boundary: string
  frames: number
  escaped: number
  /** `ok` or a rejection reason → count. */
  outcomes: Record<string, number>
  seconds: number
  /** The first few escapes: what escaped, and the input that made it. */
  examples: string[]
}

export interface RunResult {
  frames: number
  escaped: number
  /** heapUsed after a forced GC at the end minus after the warm-up, in MB. */
  heapGrowthMB: number
  heapStartMB: number
  heapEndMB: number
  /** False without `--expose-gc`: the heap figures are then taken without a forced GC. */
  forcedGc: boolean
  seconds: number
  targets: TargetResult[]
}

/** Frames each target runs before the heap is measured the first time (bounded structures fill). */
const WARMUP_FRACTION = 0.05
const MAX_EXAMPLES = 3
const PROGRESS_EVERY_MS = 10_000

/** `total` split in proportion to `weights`, the remainder to the first ones. */
export function share(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const out = weights.map((w) => Math.floor((total * w) / sum))
  let left = total - out.reduce((a, b) => a + b, 0)
  for (let i = 0; left > 0; i = (i + 1) % out.length, left--) out[i]!++
  return out
}

class Run {
  readonly result: TargetResult

  constructor(
    readonly target: FuzzTarget,
    readonly session: FuzzSession,
    readonly planned: number,
  ) {
    this.result = { name: target.name, boundary: target.boundary, frames: 0, escaped: 0, outcomes: {}, seconds: 0, examples: [] }
  }

  escape(what: string, error: unknown, input = this.session.lastInput()): void {
    this.result.escaped++
    if (this.result.examples.length >= MAX_EXAMPLES) return
    const where = error instanceof Error && !(error instanceof InvariantError) ? `\n      ${error.stack?.split('\n')[1]?.trim() ?? ''}` : ''
    const message = error instanceof Error ? `${error.name}: ${error.message}${where}` : String(error)
    this.result.examples.push(`${what}: ${message}\n      input ${input}`)
  }

  /** Feeds `count` more frames (fewer if the plan runs out). */
  async drive(count: number, log: (line: string) => void): Promise<void> {
    const started = performance.now()
    const { session, result } = this
    const every = session.settleEvery ?? 0
    const end = Math.min(this.planned, result.frames + count)
    let lastLog = started
    while (result.frames < end) {
      try {
        let outcome = session.feed()
        if (outcome instanceof Promise) outcome = await outcome
        if (outcome !== undefined) result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1
      } catch (error) {
        this.escape(error instanceof InvariantError ? 'invariant broken' : 'thrown', error)
      }
      result.frames++
      if (every > 0 && result.frames % every === 0) await this.settle()
      if (result.frames % 1024 === 0 && performance.now() - lastLog > PROGRESS_EVERY_MS) {
        lastLog = performance.now()
        log(`fuzz: ${result.name} ${result.frames.toLocaleString('en')} / ${this.planned.toLocaleString('en')}`)
      }
    }
    await this.settle()
    result.seconds += (performance.now() - started) / 1000
  }

  async settle(): Promise<void> {
    try {
      await this.session.settle?.()
    } catch (error) {
      this.escape('thrown while settling', error)
    }
  }

  /** Outcomes the code under test counted itself, merged in; then the end-of-run checks. */
  async finish(): Promise<void> {
    for (const [reason, n] of Object.entries(this.session.outcomes?.() ?? {})) {
      if (n > 0) this.result.outcomes[reason] = (this.result.outcomes[reason] ?? 0) + n
    }
    try {
      for (const violation of await this.session.finish()) this.escape('broken after the run', new Error(violation), '(the whole run)')
    } catch (error) {
      this.escape('thrown by the final checks', error, '(the whole run)')
    }
  }
}

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 2; i++) {
    gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed / 2 ** 20
}

export async function runFuzz(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => {})
  const started = performance.now()
  const planned = share(options.frames, options.targets.map((t) => t.weight ?? 1))
  const runs: Run[] = []
  let current: Run | undefined
  const onRejection = (reason: unknown): void => current?.escape('unhandled rejection', reason)
  const onException = (error: unknown): void => current?.escape('uncaught exception', error)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  try {
    for (const [i, target] of options.targets.entries()) {
      runs.push(new Run(target, await target.open(options.seed * 1000 + i), planned[i]!))
    }
    for (const run of runs) {
      current = run
      await run.drive(Math.ceil(run.planned * WARMUP_FRACTION), log)
    }
    const heapStartMB = await heapAfterGc()
    for (const run of runs) {
      current = run
      log(`fuzz: ${run.target.name} (${run.target.boundary})`)
      await run.drive(run.planned, log)
    }
    current = undefined
    const heapEndMB = await heapAfterGc()
    for (const run of runs) {
      current = run
      await run.finish()
    }
    current = undefined
    const targets = runs.map((run) => run.result)
    return {
      frames: targets.reduce((sum, t) => sum + t.frames, 0),
      escaped: targets.reduce((sum, t) => sum + t.escaped, 0),
      heapGrowthMB: heapEndMB - heapStartMB,
      heapStartMB,
      heapEndMB,
      forcedGc: typeof (globalThis as { gc?: unknown }).gc === 'function',
      seconds: (performance.now() - started) / 1000,
      targets,
    }
  } finally {
    for (const run of runs) await run.session.close().catch(() => undefined)
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onException)
  }
}
