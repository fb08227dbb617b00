/**
 * What the relay MAC (HMAC-SHA256 of a relay's header and message, auth/mac.ts) costs on each
 * engine, cold and warm: each engine runs in a fresh Node process, so its first calls meet
 * unoptimized JavaScript, as in a tab that relays a few messages a second.
 *
 *   npm run bench:mac -- [--runs 5] [--bytes 90] [--json]
 *
 * Prints µs per MAC over calls 2–200 (cold) and calls 4,001–5,000 (warm), medians over runs, for
 * 'noble' (@noble/hashes in JavaScript) and 'wasm' (SHA-256's compression in WebAssembly). With
 * --json the last line is one JSON object.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { keyedMac, type MacEngine } from '../src/auth/mac.ts'

const CALLS = 5000
const COLD = [1, 200] as const
const WARM = [4000, 5000] as const
const HEADER_BYTES = 78

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, bytes: { type: 'string', default: '90' }, json: { type: 'boolean', default: false }, child: { type: 'string' } },
})
const bytes = Number(values.bytes)

/** In a child process: one engine's µs per call, cold and warm. */
async function measure(engine: MacEngine): Promise<{ coldUs: number; warmUs: number }> {
  const mac = await keyedMac(new Uint8Array(32).fill(7), engine)
  const header = new Uint8Array(HEADER_BYTES)
  const message = new Uint8Array(bytes)
  const times: number[] = []
  let sink = 0
  for (let i = 0; i < CALLS; i++) {
    header[0] = i
    const start = performance.now()
    sink ^= mac.tag(header, message)[0]!
    times.push(performance.now() - start)
  }
  const mean = ([from, to]: readonly [number, number]): number => (1000 * times.slice(from, to).reduce((a, b) => a + b, 0)) / (to - from) + 0 * sink
  return { coldUs: mean(COLD), warmUs: mean(WARM) }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const round = (x: number): number => Math.round(x * 10) / 10

if (values.child !== undefined) {
  console.log(JSON.stringify(await measure(values.child as MacEngine)))
} else {
  const runs = Number(values.runs)
  const engines: MacEngine[] = ['noble', 'wasm']
  const results: Record<string, { coldUs: number[]; warmUs: number[] }> = { noble: { coldUs: [], warmUs: [] }, wasm: { coldUs: [], warmUs: [] } }
  for (let run = 0; run < runs; run++) {
    for (const engine of engines) {
      const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', engine, '--bytes', String(bytes)], { encoding: 'utf8' })
      const { coldUs, warmUs } = JSON.parse(out.trim().split('\n').at(-1)!) as { coldUs: number; warmUs: number }
      results[engine]!.coldUs.push(coldUs)
      results[engine]!.warmUs.push(warmUs)
    }
  }
  const summary = Object.fromEntries(engines.map((e) => [e, { coldUs: round(median(results[e]!.coldUs)), warmUs: round(median(results[e]!.warmUs)) }])) as Record<MacEngine, { coldUs: number; warmUs: number }>
  console.log(`HMAC-SHA256 of a ${HEADER_BYTES}-byte header and a ${bytes}-byte message, µs per MAC, medians of ${runs} runs (a fresh process each)`)
  console.log(`engine  calls 2–200 (cold)  calls 4,001–5,000 (warm)`)
  for (const e of engines) console.log(`${e.padEnd(6)}  ${String(summary[e].coldUs).padStart(18)}  ${String(summary[e].warmUs).padStart(24)}`)
  console.log(`cold ratio noble / wasm: ${round(summary.noble.coldUs / summary.wasm.coldUs)}×`)
  if (values.json) console.log(JSON.stringify({ bytes, runs, ...summary, coldRatio: round(summary.noble.coldUs / summary.wasm.coldUs) }))
}
