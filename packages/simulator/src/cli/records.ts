/**
 * bench:records — what signed records cost to sign and check, and what readers get when a
 * fraction of the nodes answer gets with stale or forged records (bench/stale-holders.ts).
 *
 *   npm run bench:records -- --nodes 10000 --bad 0.2 [--values 500] [--json]
 */
import { runRecordsBench, type RecordsBenchResult } from '../bench/stale-holders.ts'
import { parseFlags, usage, UsageError } from './args.ts'

const SPEC = {
  nodes: { kind: 'int', min: 2, max: 1_000_000, help: 'nodes in the network, bad ones included (default 10000)' },
  bad: { kind: 'float', min: 0, max: 0.9, help: 'fraction of the nodes that answer gets with stale (half) or forged (half) records (default 0.2)' },
  values: { kind: 'int', min: 1, help: 'values put (each in two versions) and got per setting (default 500)' },
  samples: { kind: 'int', min: 1, help: 'records signed and checked per crypto figure (default 200)' },
  seed: { kind: 'int', min: 0, help: 'seed for ids, roles, latencies and choices (default 1)' },
  concurrency: { kind: 'int', min: 1, max: 10_000, help: 'operations at once (default 100)' },
  json: { kind: 'bool', help: 'print one JSON object as the last line' },
  help: { kind: 'bool', help: 'show this help' },
} as const

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

function table(r: RecordsBenchResult): string {
  const c = r.crypto
  return [
    `crypto (@noble/curves, medians): sign a named record ${c.signNamedUs} µs; check a named record ${c.checkNamedUs} µs, a mutable item ${c.checkMutableUs} µs, an immutable item ${c.checkImmutableUs} µs`,
    `crypto (Node's WebCrypto Ed25519): sign a named record ${c.webCryptoSignNamedUs} µs, check one ${c.webCryptoCheckNamedUs} µs`,
    `${r.nodes} nodes, ${r.badNodes} answering gets with stale or forged records (${pct(r.bad)}), k = ${r.k}; built in ${r.buildSeconds} s; ${r.values} values in two versions`,
    ...r.reads.map(
      (f) =>
        `d = ${String(f.paths).padEnd(2)} quorum ${f.quorum}: get success ${pct(f.getSuccess).padStart(7)}, newest value ${pct(f.newestRate).padStart(7)}, ` +
        `forged records dropped per get ${f.invalidPerGet}, messages per get ${f.messagesPerGet}`,
    ),
  ].join('\n')
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), SPEC)
  if (flags.help === true) {
    console.log(usage('bench:records --', SPEC))
    return
  }
  const result = await runRecordsBench({
    nodes: flags.nodes ?? 10_000,
    bad: flags.bad ?? 0.2,
    values: flags.values ?? 500,
    samples: flags.samples ?? 200,
    seed: flags.seed ?? 1,
    concurrency: flags.concurrency ?? 100,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  console.log(table(result))
  if (flags.json === true) console.log(JSON.stringify(result))
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench:records: ${error.message}\n${usage('bench:records --', SPEC)}`)
    process.exit(2)
  }
  console.error(error)
  process.exit(1)
})
