/** The run as text: one row per target and the totals, rejections by reason, escapes, the heap. */
import type { RunResult, TargetResult } from './runner.ts'

const n = (value: number): string => value.toLocaleString('en')

/** Inputs taken as valid; a target that counts outcomes its own way (the transport) has none. */
function accepted(target: TargetResult): number | undefined {
  return target.outcomes.ok
}

/** Reasons, most frequent first (`ok` is its own column). */
function reasons(target: TargetResult): string {
  const entries = Object.entries(target.outcomes).filter(([reason]) => reason !== 'ok')
  if (entries.length === 0) return '(none reported)'
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${n(count)}`)
    .join(' · ')
}

export function report(result: RunResult, seed: number): string {
  const rows: string[][] = [['target', 'frames', 'escaped', 'accepted', 'seconds', 'fed to']]
  for (const t of result.targets) {
    const ok = accepted(t)
    rows.push([t.name, n(t.frames), n(t.escaped), ok === undefined ? '—' : n(ok), t.seconds.toFixed(1), t.boundary])
  }
  const total = result.targets.reduce((sum, t) => sum + (accepted(t) ?? 0), 0)
  rows.push(['total', n(result.frames), n(result.escaped), n(total), result.seconds.toFixed(1), ''])
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]): string => row.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  const out = [`bench:fuzz  seed ${seed}, ${n(result.frames)} frames over ${result.targets.length} targets`, '']
  out.push(line(rows[0]!), ...rows.slice(1, -1).map(line), line(rows.at(-1)!), '')
  out.push('rejections by reason (what the parser or handler reported; a transport counts its own drops)')
  for (const t of result.targets) out.push(`  ${t.name.padEnd(widths[0]!)}  ${reasons(t)}`)
  const escapes = result.targets.flatMap((t) => t.examples.map((example) => `  ${t.name}: ${example}`))
  if (escapes.length > 0) out.push('', 'escaped (the first few per target)', ...escapes)
  const gc = result.forcedGc ? 'after a forced GC' : 'WITHOUT a forced GC (run node with --expose-gc): noise'
  out.push(
    '',
    `heap growth ${result.heapGrowthMB >= 0 ? '+' : ''}${result.heapGrowthMB.toFixed(2)} MB: heapUsed ${gc}, ` +
      `${result.heapStartMB.toFixed(1)} MB after the warm-up → ${result.heapEndMB.toFixed(1)} MB after the last frame`,
    `wall time ${result.seconds.toFixed(1)} s`,
  )
  return out.join('\n')
}

/** The one JSON object of `--json`: `frames`, `escaped`, `heapGrowthMB`, and per target counts. */
export function summary(result: RunResult): object {
  const targets = Object.fromEntries(
    result.targets.map((t) => [t.name, { frames: t.frames, escaped: t.escaped, outcomes: t.outcomes }]),
  )
  return { frames: result.frames, escaped: result.escaped, heapGrowthMB: Number(result.heapGrowthMB.toFixed(2)), targets }
}
