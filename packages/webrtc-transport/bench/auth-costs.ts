/**
 * What authenticating every relayed overlay message would cost, and the primitives behind it:
 * Ed25519 signatures per message (S) or HMACs under per-pair X25519 keys (M), with @noble and
 * with WebCrypto, in Node and (with --browser) in headless Chromium. The measurements themselves
 * are auth-measure.ts, shared by both: for Chromium it is bundled at run time (the web app's
 * vite, to a temporary directory) and served on 127.0.0.1.
 *
 *   npm run bench:auth -- [--batches 9] [--batch-ms 50] [--in-flight 16] [--browser] [--json]
 *
 * Prints µs per operation (the median of the batches) for 100- and 1,200-byte messages, the CPU
 * of an authenticated request/answer pair each way, and the time an honest node spends on the ID
 * puzzle at each measured key generation rate. With --json the last line is one JSON object.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { launchChromium, log, parseOptions, percentile, round, wholeOption } from '../../../e2e/bench/common.ts'
import { type AuthBenchOptions, type AuthBenchResult, type AuthChecks, type Library, measureAuthCosts, type OpId, puzzleSeconds } from './auth-measure.ts'

const HELP = `npm run bench:auth -- [options]

  --batches N     batches per operation; each figure is their median (default 9)
  --batch-ms MS   about how long one batch runs (default 50)
  --in-flight N   WebCrypto key generations started at once for the throughput figure (default 16)
  --browser       also measure inside headless Chromium (/usr/bin/chromium or CHROMIUM_PATH)
  --json          print one JSON object as the last line`

const SIZES = [100, 1200] as const
const PUZZLE_BITS = [11, 12, 13, 14, 15, 16]
/** The attacker's target: an ID sharing this many leading bits with a chosen key. */
const ATTACK_BITS = 16
const HERE = dirname(fileURLToPath(import.meta.url))
const REPO = join(HERE, '..', '..', '..')

const values = parseOptions(
  {
    batches: { type: 'string', default: '9' },
    'batch-ms': { type: 'string', default: '50' },
    'in-flight': { type: 'string', default: '16' },
    browser: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  HELP,
)
const options: AuthBenchOptions = {
  batches: wholeOption('batches', values.batches, 1, 1000, HELP),
  batchMs: wholeOption('batch-ms', values['batch-ms'], 1, 10_000, HELP),
  sizes: SIZES,
  inFlight: wholeOption('in-flight', values['in-flight'], 1, 1024, HELP),
}

type Cell = Partial<Record<Library, number>>
interface Summary {
  where: string
  /** Median µs per operation, by `op` or `op@bytes`. */
  us: Record<string, Cell>
  /** Key pairs per second (puzzle tries, SHA-1s included). */
  keysPerSecond: { nobleSequential: number; webcryptoSequential: number; webcryptoInFlight: number }
  /** CPU µs of one authenticated request and its answer, by message size. */
  exchangeUs: Record<number, { signed: Cell; maced: Cell }>
  checks: AuthChecks
}

const key = (op: OpId, bytes?: number): string => (bytes === undefined ? op : `${op}@${bytes}`)

function summarize(where: string, result: AuthBenchResult): Summary {
  const us: Record<string, Cell> = {}
  for (const s of result.samples) (us[key(s.op, s.bytes)] ??= {})[s.lib] = round(percentile(s.batchesUs, 50), 2)
  const at = (op: OpId, lib: Library, bytes?: number): number => us[key(op, bytes)]?.[lib] ?? Number.NaN
  const exchangeUs: Summary['exchangeUs'] = {}
  for (const size of SIZES) {
    const both = (f: (lib: Library) => number): Cell => ({ noble: round(f('noble'), 1), webcrypto: round(f('webcrypto'), 1) })
    exchangeUs[size] = { signed: both((lib) => 2 * at('sign', lib, size) + 2 * at('verify', lib, size)), maced: both((lib) => 4 * at('mac', lib, size)) }
  }
  return {
    where,
    us,
    keysPerSecond: {
      nobleSequential: Math.round(1e6 / at('keygen', 'noble')),
      webcryptoSequential: Math.round(1e6 / at('keygen', 'webcrypto')),
      webcryptoInFlight: Math.round(1e6 / at('keygenInFlight', 'webcrypto')),
    },
    exchangeUs,
    checks: result.checks,
  }
}

/** Bundles auth-measure.ts for the page with the web app's vite, into `outDir`; returns the bundle. */
async function bundle(outDir: string): Promise<string> {
  const vitePath = createRequire(join(REPO, 'apps', 'web', 'package.json')).resolve('vite')
  const vite = (await import(pathToFileURL(vitePath).href)) as { build(config: Record<string, unknown>): Promise<unknown> }
  await vite.build({
    configFile: false,
    root: HERE,
    cacheDir: join(outDir, '.vite'),
    publicDir: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, lib: { entry: join(HERE, 'auth-measure.ts'), formats: ['es'], fileName: () => 'auth.js' } },
  })
  return readFile(join(outDir, 'auth.js'), 'utf8')
}

/** The same measurements in a headless Chromium page served from 127.0.0.1 (a secure context). */
async function inChromium(): Promise<Summary> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-auth-'))
  const script = await bundle(dir).finally(() => rm(dir, { recursive: true, force: true }))
  // Cross-origin isolated, so that performance.now() is not coarsened to 100 µs.
  const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
  const server = createServer((request, response) => {
    if (request.url === '/auth.js') response.writeHead(200, { ...isolated, 'Content-Type': 'text/javascript' }).end(script)
    else if (request.url === '/') response.writeHead(200, { ...isolated, 'Content-Type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench:auth</title>')
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    page.on('console', (message) => log(`  chromium: ${message.text()}`))
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const isolatedPage = await page.evaluate(() => crossOriginIsolated)
    const result = await page.evaluate(async (opts) => {
      const url = '/auth.js'
      const measure = (await import(url)) as { measureAuthCosts: typeof measureAuthCosts }
      return measure.measureAuthCosts(opts, (what) => console.log(what))
    }, options)
    return summarize(`Chromium ${browser.version()}${isolatedPage ? '' : ' (timer not isolated)'}`, result)
  } finally {
    await browser.close()
    server.close()
  }
}

const fmt = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))
const duration = (s: number): string => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : s < 172_800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86_400).toFixed(0)} d`)

function printTable(envs: Summary[]): void {
  const head = (label: string, bytes: string): string => `${label.padEnd(50)}${bytes.padStart(6)}`
  const row = (label: string, bytes: string, cells: (number | undefined)[]): string => head(label, bytes) + cells.map((c) => fmt(c).padStart(12)).join('')
  const cellsOf = (f: (env: Summary) => Cell): (number | undefined)[] => envs.flatMap((env) => [f(env).noble, f(env).webcrypto])
  console.log(`authenticating overlay messages: µs per operation, median of ${options.batches} batches of ~${options.batchMs} ms`)
  console.log(head('', '') + envs.map((env) => env.where.padStart(24)).join(''))
  console.log(head('operation', 'bytes') + envs.map(() => '       noble   WebCrypto').join(''))
  const sized = (label: string, op: OpId): void => {
    for (const size of SIZES) console.log(row(label, String(size), cellsOf((env) => env.us[key(op, size)] ?? {})))
  }
  console.log(row('keygen try: key pair, SHA-1(SHA-1(public key))', '', cellsOf((env) => env.us.keygen ?? {})))
  console.log(row(`  the same, ${options.inFlight} in flight (wall time per key)`, '', cellsOf((env) => env.us.keygenInFlight ?? {})))
  console.log(row('  SHA-1(SHA-1(public key)) alone', '', cellsOf((env) => env.us.puzzleHash ?? {})))
  console.log(row('  keys/s, one at a time', '', cellsOf((env) => ({ noble: env.keysPerSecond.nobleSequential, webcrypto: env.keysPerSecond.webcryptoSequential }))))
  console.log(row(`  keys/s, ${options.inFlight} in flight`, '', cellsOf((env) => ({ webcrypto: env.keysPerSecond.webcryptoInFlight }))))
  sized('Ed25519 sign', 'sign')
  sized('Ed25519 verify (WebCrypto: key imported before)', 'verify')
  sized('Ed25519 import public key + verify', 'importVerify')
  console.log(row('  small-order check of a public key (once per key)', '', cellsOf((env) => env.us.smallOrderCheck ?? {})))
  console.log(row('pair keys: to Montgomery, X25519, HKDF to 2 keys', '', cellsOf((env) => env.us.pairKeys ?? {})))
  sized('HMAC-SHA256, truncated to 16 bytes', 'mac')
  for (const size of SIZES) console.log(row('(S) request + answer: 2 sign + 2 verify', String(size), cellsOf((env) => env.exchangeUs[size]!.signed)))
  for (const size of SIZES) console.log(row('(M) request + answer: 4 MACs', String(size), cellsOf((env) => env.exchangeUs[size]!.maced)))
  console.log(row('(M) new pair, once at each end: pair keys', '', cellsOf((env) => env.us.pairKeys ?? {})))
  console.log('noble verify is the transport\'s verifySignature: strict RFC 8032 (zip215: false) plus the small-order check.')
  console.log('WebCrypto pair keys: noble converts the peer key, then import X25519, deriveBits, HKDF deriveBits, 2 HMAC key imports.')
  for (const env of envs) {
    const c = env.checks
    console.log(`${env.where}: signatures interoperate ${c.signaturesInterop ? 'yes' : 'NO'}; pair keys and MACs agree ${c.pairKeysAgree ? 'yes' : 'NO'}; small-order forgery verifies: WebCrypto ${c.smallOrderForgeryVerifies.webcrypto ? 'YES' : 'no'}, noble check ${c.smallOrderForgeryVerifies.noble ? 'YES' : 'no'}`)
  }
}

interface PuzzleRow {
  bits: number
  /** Mean and 95th-percentile seconds at each measured rate, by `where / rate`. */
  honest: Record<string, { keysPerSecond: number; meanS: number; p95S: number }>
  attacker: { keys: number; meanS: number; keysPerSecond: number }
}

function puzzleRows(envs: Summary[]): PuzzleRow[] {
  const rates = envs.flatMap((env) => [
    [`${env.where} / noble`, env.keysPerSecond.nobleSequential],
    [`${env.where} / WebCrypto`, env.keysPerSecond.webcryptoSequential],
    [`${env.where} / WebCrypto ×${options.inFlight}`, env.keysPerSecond.webcryptoInFlight],
  ] as const)
  const best = Math.max(...rates.map(([, rate]) => rate))
  return PUZZLE_BITS.map((bits) => ({
    bits,
    honest: Object.fromEntries(rates.map(([name, rate]) => [name, { keysPerSecond: rate, meanS: round(puzzleSeconds(bits, rate), 3), p95S: round(puzzleSeconds(bits, rate, 0.95), 3) }])),
    attacker: { keys: 2 ** (bits + ATTACK_BITS), keysPerSecond: best, meanS: round(puzzleSeconds(bits + ATTACK_BITS, best), 0) },
  }))
}

function printPuzzle(rows: PuzzleRow[]): void {
  const names = Object.keys(rows[0]!.honest)
  console.log(`\nID puzzle: an honest node's time to an ID whose SHA-1 starts with c zero bits, mean / p95, at each measured rate`)
  names.forEach((name, i) => console.log(`  [${i + 1}] ${name}: ${rows[0]!.honest[name]!.keysPerSecond} keys/s`))
  console.log('   c' + names.map((_, i) => `[${i + 1}]`.padStart(18)).join('') + `   attacker: 2^(c+${ATTACK_BITS}) keys for ${ATTACK_BITS} bits shared with a chosen key`)
  for (const row of rows) {
    const cells = Object.values(row.honest).map(({ meanS, p95S }) => `${duration(meanS)} / ${duration(p95S)}`.padStart(18))
    console.log(`  ${String(row.bits).padStart(2)}${cells.join('')}   ${row.attacker.keys.toExponential(1)} keys, ${duration(row.attacker.meanS)} at ${row.attacker.keysPerSecond} keys/s`)
  }
}

async function main(): Promise<void> {
  log('Node: measuring')
  const envs = [summarize(`Node ${process.version}`, await measureAuthCosts(options, (what) => log(`  node: ${what}`)))]
  if (values.browser) {
    log('Chromium: bundling and measuring')
    envs.push(await inChromium())
  }
  printTable(envs)
  const puzzle = puzzleRows(envs)
  printPuzzle(puzzle)
  if (values.json) console.log(JSON.stringify({ options, results: envs, puzzle }))
}

void main()
