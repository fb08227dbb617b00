/**
 * The benchmark's side of bench/peer-host.ts: starts a host process (`node --conditions=source --import tsx
 * e2e/bench/peer-host.ts` from the repository root) and sends it commands, one JSON line each.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { HostStats } from './peer-host.ts'

export type { HostPeerStats, HostStats } from './peer-host.ts'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** A command not answered in this long fails (and with it the benchmark). */
const COMMAND_TIMEOUT_MS = 120_000

interface Answer {
  seq: number
  ok: boolean
  error?: string
  peer?: string
  ms?: number
  stats?: HostStats
}

export class PeerHost {
  /** IDs of the peers running there. */
  readonly peers = new Set<string>()
  /** How long each peer start took in the host (ms), in order. */
  readonly startMs: number[] = []
  readonly #child: ChildProcessWithoutNullStreams
  readonly #pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>()
  readonly #exited: Promise<void>
  #seq = 0
  #gone: Error | undefined
  #closing = false

  constructor(
    readonly name: string,
    options: { signal: string; k: number; budget: number },
  ) {
    const args = ['--conditions=source', '--import', 'tsx', 'e2e/bench/peer-host.ts', '--signal', options.signal, '--k', String(options.k), '--budget', String(options.budget)]
    this.#child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#answer(line))
    // Its peers' logs go nowhere; anything on stderr is a crash report or a warning from below.
    createInterface({ input: this.#child.stderr }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`))
    this.#child.stdin.on('error', () => undefined)
    this.#child.once('exit', (code, signal) => {
      this.#gone = new Error(`peer host ${name} exited (${signal ?? code})${this.#closing ? '' : ' unexpectedly'}`)
      for (const { reject } of this.#pending.values()) reject(this.#gone)
      this.#pending.clear()
    })
  }

  /** Exited before `close()` was called: the benchmark cannot go on. */
  get crashed(): Error | undefined {
    return this.#closing ? undefined : this.#gone
  }

  async startPeer(): Promise<string> {
    const { peer, ms } = await this.#send('start')
    this.peers.add(peer!)
    this.startMs.push(ms!)
    return peer!
  }

  /** `peer.stop()` when `crash` is false; a silent death when it is true (peer-host.ts). */
  async stopPeer(id: string, crash: boolean): Promise<void> {
    this.peers.delete(id)
    await this.#send(crash ? 'crash' : 'stop', id)
  }

  async stats(): Promise<HostStats> {
    return (await this.#send('stats')).stats!
  }

  /** Ends its input (it stops every peer and exits); kills it if it has not exited in 20 s. */
  async close(): Promise<void> {
    this.#closing = true
    if (this.#gone !== undefined) return
    this.#child.stdin.end()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000)
    await this.#exited
    clearTimeout(timer)
  }

  #send(cmd: string, peer?: string): Promise<Answer> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone)
    const seq = ++this.#seq
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq)
        reject(new Error(`peer host ${this.name} did not answer "${cmd}" in ${COMMAND_TIMEOUT_MS / 1000} s`))
      }, COMMAND_TIMEOUT_MS)
      this.#pending.set(seq, {
        resolve: (answer) => {
          clearTimeout(timer)
          if (answer.ok) resolve(answer)
          else reject(new Error(`peer host ${this.name}, ${cmd}: ${answer.error}`))
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.#child.stdin.write(`${JSON.stringify({ seq, cmd, peer })}\n`)
    })
  }

  #answer(line: string): void {
    let answer: Answer
    try {
      answer = JSON.parse(line) as Answer
    } catch {
      process.stderr.write(`[${this.name}] ${line}\n`)
      return
    }
    const pending = this.#pending.get(answer.seq)
    this.#pending.delete(answer.seq)
    // After its command timed out: a started peer then runs on, unknown to the benchmark.
    if (pending === undefined) process.stderr.write(`[${this.name}] late answer: ${line.slice(0, 200)}\n`)
    pending?.resolve(answer)
  }
}
