/**
 * `createPeer` in Node over real WebRTC (node-datachannel, 127.0.0.1 only), entering through a
 * signaling server in this process: peers form one overlay, keep their ID and records across a
 * restart, leave cleanly, and leave nothing behind.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { keyOf } from '@browser-dht/kademlia'
import { createSignalingServer, type SignalingServer } from '@browser-dht/signaling-server'
import { nodePeerFactory, type PeerFactory } from '@browser-dht/webrtc-transport/node'
import polyfill from 'node-datachannel/polyfill'
import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type NodePeerOptions, type Peer, PeerErrorCode } from '../src/node.ts'
import { useTempDirs } from './helpers.ts'

const peers: Peer[] = []
const servers: SignalingServer[] = []
const { make: dataDir } = useTempDirs()
const text = (value: Uint8Array | undefined): string => new TextDecoder().decode(value)

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function server(): Promise<string> {
  const started = await createSignalingServer({ host: '127.0.0.1', port: 0, log: () => {}, idPuzzleBits: 0 })
  servers.push(started)
  return started.url()
}

async function peer(url: string, options: Partial<NodePeerOptions> = {}): Promise<Peer> {
  const started = await createPeer({ signal: [url], loopbackOnly: true, idPuzzleBits: 0, sync: false, dht: { k: 3 }, ...options })
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

describe('createPeer in Node', () => {
  it('forms one overlay: every peer sees each publisher’s signed value, its own marked, and a removal', { timeout: 60_000 }, async () => {
    const url = await server()
    const all = [await peer(url), await peer(url), await peer(url), await peer(url), await peer(url)]
    await waitFor(() => all.every((p) => p.joined && p.node.table.size >= 2), 'every peer joined')
    const [alice, bob, carol] = all as [Peer, Peer, Peer]
    expect((await alice.put('greeting', new TextEncoder().encode('from alice'))).holders.length).toBe(3)
    await bob.put('greeting', new TextEncoder().encode('from bob'))
    const seen = await carol.get('greeting')
    expect(seen.values.map((v) => text(v.value)).sort()).toEqual(['from alice', 'from bob'])
    expect(seen.values.every((v) => !v.own)).toBe(true)
    const own = await alice.get('greeting')
    expect(own.values.find((v) => v.own)?.value).toEqual(new TextEncoder().encode('from alice'))
    await alice.remove('greeting')
    expect((await carol.get('greeting')).values.map((v) => text(v.value))).toEqual(['from bob'])
  })

  it('keeps its ID, the records it holds and the ones it published across a restart, and republishes its own', { timeout: 60_000 }, async () => {
    const url = await server()
    const dir = await dataDir()
    const first = await peer(url, { dataDir: dir })
    expect(first.about).toMatchObject({ identity: 'created', storage: `directory ${dir}` })
    const others = [await peer(url), await peer(url)]
    await waitFor(() => others.every((p) => p.node.table.has(first.identity.id)), 'the first peer in both tables')
    await others[0]!.put('kept', Uint8Array.of(1, 2, 3))
    await first.put('mine', Uint8Array.of(4, 5))
    await waitFor(() => first.node.records.count >= 2, 'both records on the first peer')
    const id = first.id
    await first.close()
    // It said BYE (leaving): the others drop it at once, not after a heartbeat timeout.
    await waitFor(() => others.every((p) => !p.node.table.has(first.identity.id)), 'the others forgetting it', 3000)
    const again = await peer(url, { dataDir: dir })
    expect(again.id).toBe(id)
    expect(again.about.identity).toBe('restored')
    expect(again.node.records.read(keyOf('kept'), Date.now()).map(({ record }) => record.value)).toEqual([Uint8Array.of(1, 2, 3)])
    expect(again.nameOf(keyOf('mine'))).toBe('mine')
    const republished = await new Promise<number>((resolve) => again.on('republished', ({ records }) => resolve(records)))
    expect(republished).toBe(1)
    // The network knows it again by the same ID: its peers take the restarted node back into their tables.
    await waitFor(() => others.every((p) => p.node.table.has(first.identity.id)), 'the others taking it back under its old ID')
  })

  it('once closed refuses every call with ERR_CLOSED, and closing again does nothing', { timeout: 30_000 }, async () => {
    const url = await server()
    const alone = await peer(url)
    await alone.close()
    await alone.close()
    expect(alone.closed).toBe(true)
    // Every call rejects (none throws synchronously), whatever it is.
    const calls = [alone.get('x'), alone.put('x', Uint8Array.of(1)), alone.remove('x'), alone.getMutable(new Uint8Array(32)), alone.putMutable(Uint8Array.of(1)), alone.getImmutable(new Uint8Array(20)), alone.putImmutable(Uint8Array.of(1))]
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: PeerErrorCode.CLOSED })
  })

  it('leaves nothing behind after close: no timer, socket or connection, and the peers are garbage-collected', { timeout: 60_000 }, async () => {
    const fixture = new URL('./fixtures/close-leaves-nothing.ts', import.meta.url).pathname
    const child = spawn(process.execPath, ['--expose-gc', '--conditions=source', '--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code, out).toBe(0)
    // The process ended by itself, soon after its last line: nothing the peers started kept it alive.
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ got: 'hello', collected: true, left: [] })
  })

  it('makes its connections through the peer factory it is given', { timeout: 30_000 }, async () => {
    const url = await server()
    const base = nodePeerFactory(polyfill)
    let made = 0
    const counting: PeerFactory = (init, events) => {
      made++
      return base(init, events)
    }
    await peer(url, { direct: null })
    const second = await peer(url, { peerFactory: counting, direct: null })
    await waitFor(() => second.transport.stats().open > 0, 'a connection')
    expect(made).toBeGreaterThan(0)
  })

  it('runs all of a peer’s WebRTC connections over one UDP port (ICE UDP mux), a port per peer, or a socket each with icePort null', { timeout: 60_000 }, async () => {
    const url = await server()
    // (WebRTC between Node peers: without `direct: null` they would link directly.)
    const webrtc = { direct: null }
    const muxed = [await peer(url, webrtc), await peer(url, webrtc), await peer(url, webrtc), await peer(url, webrtc)]
    await waitFor(() => muxed.every((p) => p.transport.stats().open >= 2), 'two connections each')
    const ports = muxed.map((p) => p.about.icePort)
    expect(new Set(ports).size).toBe(4)
    // Every UDP socket this process has on 127.0.0.1 is one of the four peers' ports.
    expect(new Set(loopbackUdpPorts())).toEqual(new Set(ports))
    await Promise.all(peers.splice(0).map((p) => p.close()))
    const apart = [await peer(url, { icePort: null, direct: null }), await peer(url, { icePort: null, direct: null }), await peer(url, { icePort: null, direct: null })]
    await waitFor(() => apart.every((p) => p.transport.stats().open >= 2), 'two connections each')
    expect(apart.every((p) => p.about.icePort === undefined)).toBe(true)
    // One socket per connection end: at least as many as the open connections.
    const open = apart.reduce((sum, p) => sum + p.transport.stats().open, 0)
    expect(loopbackUdpPorts().length).toBeGreaterThanOrEqual(open)
  })

  it('links Node peers to each other directly (a WebSocket each, no WebRTC); a peer without direct links uses WebRTC', { timeout: 60_000 }, async () => {
    const url = await server()
    let webrtc = 0
    const base = nodePeerFactory(polyfill)
    const counting: PeerFactory = (init, events) => {
      webrtc++
      return base(init, events)
    }
    const all = [await peer(url, { peerFactory: counting }), await peer(url, { peerFactory: counting }), await peer(url, { peerFactory: counting })]
    await waitFor(() => all.every((p) => p.transport.stats().open >= 2), 'two connections each')
    expect(all.map((p) => p.about.directUrl)).toEqual(all.map(() => expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/)))
    expect(all.flatMap((p) => p.transport.peers()).every((info) => info.direct)).toBe(true)
    expect(webrtc).toBe(0)
    const [alice, bob] = all as [Peer, Peer]
    await alice.put('direct', new TextEncoder().encode('over a socket'))
    expect((await bob.get('direct')).values.map((v) => text(v.value))).toEqual(['over a socket'])
    // A peer with direct links off is offered them, declines, and gets WebRTC.
    const apart = await peer(url, { peerFactory: counting, direct: null })
    await waitFor(() => apart.transport.stats().open >= 2, 'two connections')
    expect(apart.transport.peers().some((info) => info.direct)).toBe(false)
    expect(webrtc).toBeGreaterThanOrEqual(4)
    expect(all.reduce((sum, p) => sum + p.transport.stats().directRejected['bad-tag'], 0)).toBe(0)
  })

  it('refuses bad options by name before it does any work (no identity, no file)', async () => {
    await expect(createPeer({ signal: [] })).rejects.toMatchObject({ code: PeerErrorCode.INVALID_OPTION })
    await expect(createPeer({ signal: ['http://127.0.0.1:1/signal'] })).rejects.toThrow(/ws:\/\/ or wss:\/\//)
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], timings: { rejoinMs: -1 } as never, idPuzzleBits: 0 })).rejects.toThrow(/timings.rejoinMs/)
    // The DHT's, the transport's and the connection manager's tunables are checked before the identity is made: nothing is written.
    const dir = await dataDir()
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, dht: { k: 0 } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^k must be/) })
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, transport: { maxConnections: 1.5 } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^maxConnections/) })
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, connections: { intervalMs: 0 } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^intervalMs must be/) })
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, direct: { port: -1 } })).rejects.toMatchObject({ message: expect.stringMatching(/^directPort must be an integer/) })
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, direct: { host: '0.0.0.0' } })).rejects.toMatchObject({ message: expect.stringMatching(/direct.url is needed/) })
    await expect(createPeer({ signal: ['ws://127.0.0.1:1/signal'], dataDir: dir, icePort: 70_000 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^icePort must be an integer from 0 to 65535/) })
    expect(await readdir(dir)).toEqual([])
  })
})

/** The local ports of this process's UDP sockets on 127.0.0.1 (Linux: /proc/self/net/udp lists the namespace's, so only those of our own inodes). */
function loopbackUdpPorts(): number[] {
  const own = new Set<string>()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode !== undefined) own.add(inode)
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = []
  for (const line of readFileSync('/proc/self/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    const [address, port] = (fields[1] ?? '').split(':')
    if (address === '0100007F' && own.has(fields[9] ?? '')) ports.push(Number.parseInt(port!, 16))
  }
  return ports
}
