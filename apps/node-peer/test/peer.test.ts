/**
 * Node peers over real WebRTC (node-datachannel, 127.0.0.1 only), entering through a signaling
 * endpoint in this process: they form one overlay, keep identity and records across a restart,
 * and leave cleanly.
 */
import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { keyOf } from '@browser-dht/kademlia'
import { type SignalingEndpoint, startSignalingEndpoint } from '../src/endpoint.ts'
import { createLogger } from '../src/log.ts'
import { NodePeer } from '../src/peer.ts'
import { useTempDirs } from './helpers.ts'

const peers: NodePeer[] = []
const endpoints: SignalingEndpoint[] = []
const { make: dataDir } = useTempDirs()

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()))
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()))
})

async function endpoint(): Promise<SignalingEndpoint> {
  const started = await startSignalingEndpoint({ host: '127.0.0.1', port: 0, log: () => {} })
  endpoints.push(started)
  return started
}

async function peer(url: string, dir?: string): Promise<NodePeer> {
  const started = await NodePeer.start({
    dataDir: dir ?? (await dataDir()),
    signals: [url],
    k: 3,
    budget: 8,
    loopback: true,
    log: createLogger({ quiet: true, write: () => {} }),
    sync: false,
  })
  peers.push(started)
  return started
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('Node peers', () => {
  it('form one overlay: a value put through one is found through another', { timeout: 60_000 }, async () => {
    const { url } = await endpoint()
    const all = [await peer(url), await peer(url), await peer(url), await peer(url), await peer(url)]
    await waitFor(() => all.every((p) => p.node.table.size >= 2), 'routing tables')
    const value = new TextEncoder().encode('from a Node peer')
    const put = await all[0]!.node.put(keyOf('greeting'), value)
    expect(put.holders.length).toBe(3)
    for (const other of all.slice(1)) expect((await other.node.get(keyOf('greeting'))).value).toEqual(value)
  })

  it('keeps its ID and the records it holds across a restart, and its peers drop it when it stops', { timeout: 60_000 }, async () => {
    const { url } = await endpoint()
    const dir = await dataDir()
    const first = await peer(url, dir)
    const others = [await peer(url), await peer(url)]
    await waitFor(() => others.every((p) => p.node.table.has(first.node.id)), 'the first peer in both tables')
    await others[0]!.node.put(keyOf('kept'), Uint8Array.of(1, 2, 3))
    await waitFor(() => first.node.records.count === 1, 'the record on the first peer')
    const id = first.id
    await first.stop()
    peers.splice(peers.indexOf(first), 1)
    // It said BYE (leaving): the others drop it at once, not after a heartbeat timeout.
    await waitFor(() => others.every((p) => !p.node.table.has(first.node.id)), 'the others forgetting it', 3000)
    const again = await peer(url, dir)
    expect(again.id).toBe(id)
    expect(again.node.records.count).toBe(1)
    const held = again.node.records.read(keyOf('kept'), Date.now())
    expect(held.map(({ record }) => record.value)).toEqual([Uint8Array.of(1, 2, 3)])
    // The network knows it again by the same ID: its peers take the restarted node back into their tables.
    await waitFor(() => others.every((p) => p.node.table.has(first.node.id)), 'the others taking it back under its old ID')
  })
})

describe('the CLI', () => {
  it('serves an endpoint, says it is ready, and exits 0 on SIGTERM after stopping its peers', { timeout: 30_000 }, async () => {
    const dir = await dataDir()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', '0', '--loopback', '--count', '2', '--data', dir], {
      cwd: new URL('..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    await waitFor(() => out.includes(' ready '), 'the ready line', 20_000)
    expect(out).toMatch(/ ready peers=2 endpoint=ws:\/\/127\.0\.0\.1:\d+\/signal/)
    const health = /health=(\S+)/.exec(out)![1]!
    expect(await (await fetch(health)).json()).toMatchObject({ ok: true, registered: 2 })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toMatch(/ stopped/)
  })
})
