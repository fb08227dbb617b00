import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { connectAndRegister } from './helpers.ts'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

function run(args: readonly string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exit }
}

describe('cli', () => {
  it('prints usage with --help and refuses a bad --port or --tunable with exit code 2', async () => {
    const help = run(['--help'])
    const bad = run(['--port', 'eighty'])
    const badTunables = [run(['--tunable', 'maxClients=0']), run(['--tunable', 'noSuchBound=1']), run(['--tunable', 'idPuzzleBits'])]
    expect(await help.exit).toBe(0)
    expect(help.output()).toContain('--port')
    expect(await bad.exit).toBe(2)
    for (const child of badTunables) expect(await child.exit).toBe(2)
    expect(badTunables[0]!.output()).toContain('maxClients must be a positive integer')
  })

  it('serves signaling and /healthz on 127.0.0.1, logs connects, and exits cleanly on SIGTERM', async () => {
    // The test identity is random: no ID puzzle.
    const server = run(['--port', '0', '--host', '127.0.0.1', '--tunable', 'idPuzzleBits=0'])
    try {
      await expect.poll(() => server.output(), { timeout: 15_000, interval: 50 }).toMatch(/listening ws:\/\/127\.0\.0\.1:\d+\/signal/)
      const url = /listening (ws:\/\/\S+)/.exec(server.output())![1]!
      const { client } = await connectAndRegister(url)
      const health = await fetch(url.replace('ws:', 'http:').replace('/signal', '/healthz'))
      expect(await health.json()).toEqual({ ok: true, clients: 1, registered: 1 })
      client.close()
      await expect.poll(() => server.output()).toMatch(/ connect #1 [\s\S]* disconnect #1 /)
      server.child.kill('SIGTERM')
      expect(await server.exit).toBe(0)
    } finally {
      server.child.kill('SIGKILL')
    }
  })
})
