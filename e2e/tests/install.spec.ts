/**
 * The packages as a stranger gets them: `npm run pack` builds the tarballs, npm installs them into
 * a fresh Vite project made outside the workspace (which type-checks against the shipped .d.ts and
 * builds), and two tabs of that project put and get through a signaling server started from the
 * installed server package's CLI. The same tarballs run a Node peer in a fresh folder with plain
 * Node, whose value the tabs read.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, type Page, test } from '@playwright/test'
import { ONE_ADDRESS_TUNABLES } from './one-address.ts'
import { type Started, startCommand } from './process.ts'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const FIXTURES = join(REPO, 'e2e', 'fixtures')
const VITE_VERSION = (JSON.parse(readFileSync(join(REPO, 'apps', 'web', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.vite!
const TYPESCRIPT_VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.typescript!

/** Runs a command in `cwd` without the workspace's NODE_OPTIONS; throws with its output when it fails. */
function run(command: string, args: readonly string[], cwd: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: 'pipe', env: PLAIN_ENV })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`${[command, ...args].join(' ')} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`, { cause: error })
  }
}

/** The environment of the installed programs: not the workspace's (no source condition), no colours in their output. */
const PLAIN_ENV = { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' }

const npm = (cwd: string, args: readonly string[]): void => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd)

/** A package.json that installs every tarball, each package's dependency on another one resolved to its tarball too. */
function packageJson(name: string, tarballs: Record<string, string>, extra: object = {}): string {
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([pkg, file]) => [pkg, `file:${file}`]))
  const overrides = Object.fromEntries(Object.keys(tarballs).map((pkg) => [pkg, `$${pkg}`]))
  return JSON.stringify({ name, private: true, type: 'module', dependencies, overrides, ...extra }, null, 2)
}

test.describe('installed from tarballs', () => {
  const started: Started[] = []
  const dirs: string[] = []

  test.afterAll(async () => {
    for (const program of started.splice(0)) await program.stop()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  test('a fresh Vite project and a fresh Node folder join one network and read each other’s values', async ({ browser }) => {
    test.setTimeout(600_000)
    run(process.execPath, [join(REPO, 'scripts', 'pack.mjs')], REPO)
    const tarballs = Object.fromEntries(
      readdirSync(join(REPO, 'packs')).map((file) => [`@browser-dht/${/^browser-dht-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(file)![1]}`, join(REPO, 'packs', file)]),
    )
    expect(Object.keys(tarballs).sort()).toEqual(['@browser-dht/identity', '@browser-dht/kademlia', '@browser-dht/peer', '@browser-dht/signaling-server', '@browser-dht/webrtc-transport'])

    // The web project: made outside the workspace, installed with npm, type-checked and built.
    const app = mkdtempSync(join(tmpdir(), 'fresh-app-'))
    dirs.push(app)
    cpSync(join(FIXTURES, 'fresh-app'), app, { recursive: true })
    writeFileSync(join(app, 'package.json'), packageJson('fresh-app', tarballs, { devDependencies: { vite: VITE_VERSION, typescript: TYPESCRIPT_VERSION } }))
    npm(app, ['install'])
    run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app)
    run(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], app)

    // The signaling server, from the installed package's CLI.
    const signaling = await startCommand(join(app, 'node_modules', '.bin', 'browser-dht-signal'), ['--host', '127.0.0.1', '--port', '0', ...ONE_ADDRESS_TUNABLES], { cwd: app, env: PLAIN_ENV, ready: /listening (ws:\/\/127\.0\.0\.1:\d+\/signal)/ })
    started.push(signaling)
    const signal = signaling.match[1]!
    const preview = await startCommand(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--host', '127.0.0.1', '--port', '0'], { cwd: app, env: PLAIN_ENV, ready: /(http:\/\/127\.0\.0\.1:\d+\/)/ })
    started.push(preview)

    // The Node peer: a second fresh folder, the same tarballs, plain `node`.
    const node = mkdtempSync(join(tmpdir(), 'fresh-node-'))
    dirs.push(node)
    cpSync(join(FIXTURES, 'fresh-node'), node, { recursive: true })
    writeFileSync(join(node, 'package.json'), packageJson('fresh-node', tarballs))
    npm(node, ['install'])
    const nodePeer = await startCommand(process.execPath, ['peer.mjs', signal, join(node, 'data')], { cwd: node, env: PLAIN_ENV, ready: /\{"started":"([0-9a-f]{40})","identity":"created"\}/ })
    started.push(nodePeer)
    let nodeOutput = ''
    nodePeer.child.stdout!.on('data', (chunk: Buffer) => (nodeOutput += chunk.toString()))

    const context = await browser.newContext()
    const open = async (): Promise<Page> => {
      const page = await context.newPage()
      await page.goto(`${preview.match[1]}?signal=${encodeURIComponent(signal)}`)
      await page.waitForFunction(() => (window as unknown as { app?: { joined(): boolean } }).app?.joined() === true, undefined, { timeout: 60_000 })
      return page
    }
    const [alice, bob] = [await open(), await open()]
    const call = <T>(page: Page, method: 'put' | 'get', ...args: string[]): Promise<T> =>
      page.evaluate(([m, a]) => (window as unknown as { app: Record<string, (...x: string[]) => Promise<unknown>> }).app[m]!(...a), [method, args] as const) as Promise<T>

    expect(await call<number>(alice, 'put', 'alice', 'hello from a tab')).toBeGreaterThan(0)
    await expect.poll(() => call<string[]>(bob, 'get', 'alice'), { timeout: 30_000 }).toEqual(['hello from a tab'])
    await expect.poll(() => nodeOutput, { timeout: 30_000 }).toMatch(/\{"put":[1-9]\d*\}/)
    await expect.poll(() => call<string[]>(alice, 'get', 'from-node'), { timeout: 30_000 }).toEqual(['hello from Node'])
    // A tab's close(): its Web Lock is released, and the peer refuses what comes after.
    const closed = await bob.evaluate(() => (window as unknown as { app: { close(): Promise<unknown> } }).app.close())
    expect(closed).toEqual({ lockHeld: false, putAfter: 'ERR_CLOSED' })
    await context.close()

    // The Node peer closes on SIGTERM and its process ends by itself: nothing it started keeps it alive.
    await nodePeer.stop()
    expect(nodeOutput).toContain('{"closed":true}')
    expect(nodePeer.child.exitCode).toBe(0)
  })
})
