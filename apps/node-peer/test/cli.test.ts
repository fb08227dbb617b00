/**
 * The CLI: it serves a signaling endpoint, runs its peers (`createPeer` of @browser-dht/peer, whose
 * own tests cover the overlay, restarts and close), says it is ready, and stops cleanly.
 */
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'node-peer-cli-'))
  dirs.push(dir)
  return dir
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A port p such that p and p + 1 are free on 127.0.0.1 for UDP now. */
async function twoFreeUdpPorts(): Promise<number> {
  const bind = (port: number): Promise<(() => void) | undefined> =>
    new Promise((resolve) => {
      const socket = createSocket('udp4')
      socket.once('error', () => resolve(undefined))
      socket.bind(port, '127.0.0.1', () => resolve(() => socket.close()))
    })
  for (let tries = 0; tries < 50; tries++) {
    const base = 40_000 + Math.floor(Math.random() * 20_000)
    const [first, second] = [await bind(base), await bind(base + 1)]
    first?.()
    second?.()
    if (first !== undefined && second !== undefined) return base
  }
  throw new Error('no two free UDP ports in a row')
}

/** The local ports of the UDP sockets bound to 127.0.0.1 in this network namespace. */
function loopbackUdpPorts(): Set<number> {
  const ports = new Set<number>()
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const [address, port] = (line.trim().split(/\s+/)[1] ?? '').split(':')
    if (address === '0100007F') ports.add(Number.parseInt(port!, 16))
  }
  return ports
}

describe('the CLI', () => {
  it('serves an endpoint with /healthz and /metrics, says it is ready, and exits 0 on SIGTERM after stopping its peers', { timeout: 30_000 }, async () => {
    const dir = await dataDir()
    const icePort = await twoFreeUdpPorts()
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/cli.ts', '--port', '0', '--loopback', '--count', '2', '--ice-port', String(icePort), '--no-direct', '--data', dir], {
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
    // /metrics: the signaling server's families and the peers' (summed), in Prometheus' text format.
    const metricsUrl = /metrics=(\S+)/.exec(out)![1]!
    const response = await fetch(metricsUrl)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const metrics = await response.text()
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1])
    expect(value('signaling_registered_ids')).toBe(2)
    expect(value('dht_peers')).toBe(2)
    expect(metrics).toMatch(/^# TYPE dht_drops_total counter$/m)
    expect(metrics).toMatch(/^# TYPE dht_direct_rejected_total counter$/m)
    expect(metrics).toMatch(/^# TYPE dht_requests_slow_total counter$/m)
    expect(value('dht_direct_links_opened_total')).toBe(0)
    expect(metrics).toMatch(/^dht_closes_total\{reason="[a-z-]+"\} \d+$/m)
    expect(value('dht_requests_sent_total')).toBeGreaterThanOrEqual(0)
    // The two peers' WebRTC connections (to each other: --no-direct) run over --ice-port and the port after it.
    await waitFor(() => [icePort, icePort + 1].every((port) => loopbackUdpPorts().has(port)), 'both ICE ports bound', 15_000)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toMatch(/ stopped/)
  })
})
