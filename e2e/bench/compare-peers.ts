/**
 * bench/compare.ts's system b: N of this project's Node peers in this process (`NodePeer.start`,
 * apps/node-peer: `createPeer` with a data directory, as bench/peer-host.ts runs them): k = 20,
 * α = 3, a budget of 32 connections, only 127.0.0.1 ICE candidates, no fsync, entering through
 * one local signaling server. Each peer's identity (solving the ID puzzle) is made before the
 * join is timed (`prepare`) and stored in its data directory, as a restarted peer finds it; with
 * FRESH_IDENTITIES=1 the peers make them while joining instead. At most START_AT_ONCE peers start
 * at a time. Puts are `peer.put` under a random 20-byte key, gets `peer.get`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, NodePeer } from '@browser-dht/node-peer'
import { loadOrCreateIdentity } from '@browser-dht/peer'
import type { System } from './compare-work.ts'

const K = 20
const ALPHA = 3
const BUDGET = 32
/** Peers starting at once (bench:churn starts them 10 at a time too). */
const START_AT_ONCE = 10

export class PeerSystem implements System {
  readonly #peers: NodePeer[] = []
  readonly #dataRoot = mkdtempSync(join(tmpdir(), 'compare-peers-'))
  readonly #warnings: Record<string, number> = {}
  /** What the gets' lookups did, from their traces, summed. */
  readonly #gets = { count: 0, messages: 0, repaired: 0, rounds: 0 }
  /** How long each `NodePeer.start` took (the ID puzzle, the store, the first signaling). */
  readonly #startMs: number[] = []
  readonly #log = createLogger({
    quiet: true,
    write: (line, level) => {
      if (level === 'info') return
      // `<time> <peer> WARN <event> key=value …`
      const event = line.split(' ')[3] ?? '?'
      this.#warnings[event] = (this.#warnings[event] ?? 0) + 1
    },
  })

  constructor(readonly signal: string) {}

  /** Each peer's identity in its data directory (the puzzle's work, done once per identity). */
  async prepare(nodes: number): Promise<void> {
    if (process.env.FRESH_IDENTITIES === '1') return
    let next = 0
    const maker = async (): Promise<void> => {
      for (let i = next++; i < nodes; i = next++) await loadOrCreateIdentity(join(this.#dataRoot, String(i)))
    }
    await Promise.all(Array.from({ length: Math.min(START_AT_ONCE, nodes) }, maker))
  }

  async start(nodes: number): Promise<void> {
    let next = 0
    const starter = async (): Promise<void> => {
      for (let i = next++; i < nodes; i = next++) {
        const t = performance.now()
        this.#peers[i] = await NodePeer.start({
          dataDir: join(this.#dataRoot, String(i)),
          signals: [this.signal],
          k: K,
          budget: BUDGET,
          loopback: true,
          log: this.#log,
          sync: false,
          node: { alpha: ALPHA },
        })
        this.#startMs.push(performance.now() - t)
      }
    }
    await Promise.all(Array.from({ length: Math.min(START_AT_ONCE, nodes) }, starter))
  }

  joined(minContacts: number): number {
    return this.#peers.filter((p) => p.peer.joined && p.node.table.size >= minContacts).length
  }

  async put(node: number, value: Uint8Array): Promise<Uint8Array> {
    const key = randomBytes(20)
    await this.#peers[node]!.peer.put(key, value)
    return key
  }

  async get(node: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    const { value, trace } = await this.#peers[node]!.peer.get(key)
    this.#gets.count++
    this.#gets.messages += trace.messages
    this.#gets.repaired += trace.repaired
    this.#gets.rounds += trace.rounds
    return value
  }

  holds(node: number, key: Uint8Array): boolean {
    return this.#peers[node]!.node.records.meta(key) !== undefined
  }

  requestsSent(node: number): number {
    return this.#peers[node]!.node.stats().requestsSent
  }

  /** Data-channel frames and their bytes (not the SCTP, DTLS and ICE datagrams under them). */
  sent(): { packets: number; bytes: number } {
    let packets = 0
    let bytes = 0
    for (const peer of this.#peers) {
      const stats = peer.transport.stats()
      packets += stats.framesSent
      bytes += stats.bytesSent
    }
    return { packets, bytes }
  }

  detail(): Record<string, unknown> {
    const open = this.#peers.map((p) => p.transport.stats().open).sort((a, b) => a - b)
    const contacts = this.#peers.map((p) => p.node.table.size).sort((a, b) => a - b)
    const median = (sorted: number[]): number | undefined => sorted[Math.floor(sorted.length / 2)]
    const { count, messages, repaired, rounds } = this.#gets
    const perGet = (n: number): number => Number((n / Math.max(1, count)).toFixed(2))
    const starts = [...this.#startMs].sort((a, b) => a - b)
    return {
      startMsMedian: Math.round(median(starts) ?? 0),
      startMsMax: Math.round(starts.at(-1) ?? 0),
      contactsMin: contacts[0],
      contactsMedian: median(contacts),
      openConnectionsMedian: median(open),
      openConnectionsMax: open.at(-1),
      // The getter's requests per get are the lookup's (its trace) plus read repair's STOREs.
      lookupMessagesPerGet: perGet(messages),
      repairStoresPerGet: perGet(repaired),
      roundsPerGet: perGet(rounds),
      warnings: this.#warnings,
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#peers.map((p) => p.stop()))
    rmSync(this.#dataRoot, { recursive: true, force: true })
  }
}
