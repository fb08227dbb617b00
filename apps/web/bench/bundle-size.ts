/**
 * How much a page that calls `createPeer` ships: bundles a one-line page with Vite (production,
 * minified, the browser entry of `@browser-dht/peer`), with and without simple-peer (and without
 * @noble/*, to show what the pure-JS crypto costs), and prints the gzip sizes and the largest
 * parts (`--files`: the largest modules). `--json`: one JSON object as the last line.
 *
 * What a page loads is its entry chunk and what that imports statically. The pure-JS fallbacks
 * (@noble's curves and hashes, where WebCrypto lacks Ed25519 and X25519 or WebAssembly cannot be
 * compiled) are dynamic imports, in chunks of their own that a current browser never fetches:
 * they are counted apart ("lazy"). Each chunk is gzipped on its own, as a server sends it.
 *
 * An empty page built the same way is measured too (`gzipKbEmptyPage`): what Vite itself adds to
 * every page (its module-preload polyfill), so a reader sees what `createPeer` adds on top.
 *
 *   npm run bench:bundle [-- --json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, defaultClientConditions, type Rollup } from 'vite'

const SIMPLE_PEER = 'simple-peer/simplepeer.min.js'
/** The web app's folder: the page is bundled there, where `@browser-dht/peer` and Vite resolve. */
const web = new URL('..', import.meta.url).pathname
const json = process.argv.includes('--json')

interface Measured {
  /** The chunks a page loads at start (the entry and its static imports). */
  bytes: number
  gzipBytes: number
  /** The chunks loaded only on demand (dynamic imports: the fallbacks). */
  lazyBytes: number
  lazyGzipBytes: number
  /** Bytes per package as rendered into the bundle (before minification), largest first. */
  parts: [string, number][]
  /** Bytes per module as rendered into the bundle (before minification), largest first. */
  files: [string, number][]
}

function packageOf(id: string): string {
  const inModules = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(id)
  if (inModules !== null) return inModules[1]!
  const inWorkspace = /\/packages\/([^/]+)\//.exec(id)
  return inWorkspace === null ? 'page' : `@browser-dht/${inWorkspace[1]}`
}

/** The page's script: the five lines of the README. */
const PEER_PAGE = "import { createPeer } from '@browser-dht/peer'\nconst peer = await createPeer({ signal: ['ws://127.0.0.1:8080/signal'] })\nawait peer.put('alice', new TextEncoder().encode('hello'))\nconsole.log(await peer.get('alice'))\n"
/** A page whose script does nothing: what Vite puts into every page. */
const EMPTY_PAGE = 'export {}\n'

/** `without`: what the bundle leaves out (as if the page loaded it from elsewhere). */
async function measure(without: { simplePeer: boolean; noble: boolean }, script = PEER_PAGE): Promise<Measured> {
  const dir = mkdtempSync(join(web, '.bundle-'))
  try {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>')
    writeFileSync(join(dir, 'main.ts'), script)
    const output = (await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      resolve: { conditions: ['source', ...defaultClientConditions] },
      build: { write: false, target: 'es2022', minify: true, rollupOptions: { external: (id) => (without.simplePeer && id === SIMPLE_PEER) || (without.noble && id.startsWith('@noble/')) } },
    })) as Rollup.RollupOutput
    const chunks = new Map(output.output.flatMap((chunk) => (chunk.type === 'chunk' ? [[chunk.fileName, chunk] as const] : [])))
    const initial = new Set<string>()
    const visit = (fileName: string): void => {
      if (initial.has(fileName)) return
      initial.add(fileName)
      for (const imported of chunks.get(fileName)?.imports ?? []) visit(imported)
    }
    for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName)
    const sizes = { bytes: 0, gzipBytes: 0, lazyBytes: 0, lazyGzipBytes: 0 }
    const parts = new Map<string, number>()
    const files: [string, number][] = []
    for (const chunk of chunks.values()) {
      const [bytes, gzipBytes] = [Buffer.byteLength(chunk.code), gzipSync(chunk.code, { level: 9 }).length]
      if (initial.has(chunk.fileName)) Object.assign(sizes, { bytes: sizes.bytes + bytes, gzipBytes: sizes.gzipBytes + gzipBytes })
      else Object.assign(sizes, { lazyBytes: sizes.lazyBytes + bytes, lazyGzipBytes: sizes.lazyGzipBytes + gzipBytes })
      if (!initial.has(chunk.fileName)) continue
      for (const [id, info] of Object.entries(chunk.modules)) {
        parts.set(packageOf(id), (parts.get(packageOf(id)) ?? 0) + info.renderedLength)
        files.push([id.replace(web, ''), info.renderedLength])
      }
    }
    return { ...sizes, parts: [...parts].sort((a, b) => b[1] - a[1]), files: files.sort((a, b) => b[1] - a[1]) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const kb = (bytes: number): string => (bytes / 1000).toFixed(1)
const withPeer = await measure({ simplePeer: false, noble: false })
const without = await measure({ simplePeer: true, noble: false })
const bare = await measure({ simplePeer: true, noble: true })
const empty = await measure({ simplePeer: true, noble: true }, EMPTY_PAGE)
console.log('What a page that calls createPeer loads at start (Vite production build, minified, gzip -9 per chunk):')
console.log('| | minified KB | gzip KB | fallbacks loaded on demand, gzip KB |\n|---|---:|---:|---:|')
console.log(`| without simple-peer | ${kb(without.bytes)} | ${kb(without.gzipBytes)} | ${kb(without.lazyGzipBytes)} |`)
console.log(`| with simple-peer | ${kb(withPeer.bytes)} | ${kb(withPeer.gzipBytes)} | ${kb(withPeer.lazyGzipBytes)} |`)
console.log(`| without simple-peer and @noble/* | ${kb(bare.bytes)} | ${kb(bare.gzipBytes)} | ${kb(bare.lazyGzipBytes)} |`)
console.log(`| an empty page (Vite's own) | ${kb(empty.bytes)} | ${kb(empty.gzipBytes)} | ${kb(empty.lazyGzipBytes)} |`)
console.log('\nLargest parts loaded at start (KB each puts into the bundle before minification):')
if (process.argv.includes('--files')) for (const [id, bytes] of withPeer.files.slice(0, 60)) console.log(`  ${id.replace(/.*node_modules\//, '').padEnd(80)} ${kb(bytes)}`)
for (const [name, bytes] of withPeer.parts.slice(0, 12)) console.log(`  ${name.padEnd(34)} ${kb(bytes)}`)
if (json) {
  console.log(JSON.stringify({ gzipKbWithoutSimplePeer: Number(kb(without.gzipBytes)), gzipKbWithSimplePeer: Number(kb(withPeer.gzipBytes)), minifiedKbWithoutSimplePeer: Number(kb(without.bytes)), minifiedKbWithSimplePeer: Number(kb(withPeer.bytes)), gzipKbWithoutSimplePeerOrNoble: Number(kb(bare.gzipBytes)), gzipKbLazy: Number(kb(without.lazyGzipBytes)), gzipKbEmptyPage: Number(kb(empty.gzipBytes)), parts: Object.fromEntries(withPeer.parts.map(([n, b]) => [n, Number(kb(b))])) }))
}
