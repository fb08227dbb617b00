/**
 * bench:fuzz — feeds random and mutated frames to every parser and handler that takes bytes from a
 * peer or a client (src/targets/), and shows that nothing escapes and the heap does not grow.
 *
 *   npm run bench:fuzz -- --frames 1000000 [--seed 1] [--json]
 *
 * Prints a table per target and the totals; with --json the last line is one JSON object
 * (`frames`, `escaped`, `heapGrowthMB`, `targets`). Exits 1 when anything escaped.
 */
import { parseFlags, usage, UsageError } from '../../simulator/src/cli/args.ts'
import { report, summary } from './report.ts'
import { runFuzz } from './runner.ts'
import { TARGETS } from './targets/index.ts'

const SPEC = {
  frames: { kind: 'int', min: TARGETS.length, max: 1e9, help: `frames in all, shared by the ${TARGETS.length} targets (default 100000)` },
  seed: { kind: 'int', min: 0, max: 2 ** 31, help: 'seed of every input and identity (default 1); the same seed gives the same run' },
  json: { kind: 'bool', help: 'print one JSON object as the last line' },
  help: { kind: 'bool', help: 'show this help' },
} as const

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), SPEC)
  if (flags.help === true) {
    console.log(`${usage('npm run bench:fuzz --', SPEC)}\n\ntargets:\n${TARGETS.map((t) => `  ${t.name.padEnd(17)} ${t.boundary}`).join('\n')}`)
    return
  }
  const seed = flags.seed ?? 1
  const result = await runFuzz({
    frames: flags.frames ?? 100_000,
    seed,
    targets: TARGETS,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  console.log(report(result, seed))
  if (flags.json === true) console.log(JSON.stringify(summary(result)))
  process.exitCode = result.escaped === 0 ? 0 : 1
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench:fuzz: ${error.message}\n${usage('npm run bench:fuzz --', SPEC)}`)
    process.exit(2)
  }
  console.error(error)
  process.exit(1)
})
