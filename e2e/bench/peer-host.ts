/**
 * A peer host for bench/churn.ts: one process running many Node peers (apps/node-peer), started
 * and stopped one at a time on command, so a churn benchmark can run hundreds of peers in a few
 * processes (node-datachannel is fine up to ~1,600 connections per process).
 *
 *   node --conditions=source --import tsx e2e/bench/peer-host.ts --signal ws://127.0.0.1:PORT/signal [--k 20] [--budget 32]
 *
 * Commands come as JSON lines on stdin, each with a `seq` the answer repeats:
 *   {"seq":1,"cmd":"start"}                 → {"seq":1,"ok":true,"peer":"<hex id>","ms":<how long it took>}
 *   {"seq":2,"cmd":"stop","peer":"<hex>"}   graceful: `peer.stop()` (BYE on every channel)
 *   {"seq":3,"cmd":"crash","peer":"<hex>"}  no goodbye: its channels go silent (see `crash`)
 *   {"seq":4,"cmd":"stats"}                 → {"seq":4,"ok":true,"stats":HostStats}
 * Failures answer {"seq":n,"ok":false,"error":"…"}. Answers are the only lines on stdout. On EOF
 * or SIGTERM/SIGINT every peer stops and the temporary data directories are removed.
 *
 * Peers use only 127.0.0.1 ICE candidates, no fsync (`sync: false`), a fresh data directory
 * each, and enter through `--signal`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import polyfill from 'node-datachannel/polyfill'
import { createLogger, NodePeer } from '@browser-dht/node-peer'
import { type DirectSocket, type DirectSocketEvents, type DirectSockets, nodePeerFactory, type PeerFactory } from '@browser-dht/webrtc-transport/node'
import { DIRECT_DIAL_TIMEOUT_MS, DIRECT_MAX_MESSAGE_BYTES, freeUdpPort, listenDirect } from '@browser-dht/peer'

/** After a crash, the dead peer's connections stay open but silent this long, then are freed. */
const CRASH_SILENCE_MS = 60_000

export interface HostPeerStats {
  id: string
  /** Open data channels, and connections still being set up. */
  connections: number
  connecting: number
  contacts: number
  records: number
  connectionsCreated: number
  /** Most connections (connecting or open) seen at once, sampled every second. */
  peakConnections: number
}

export interface HostStats {
  peers: HostPeerStats[]
  /** Of the peers this host stopped or crashed: the most connections one held, and created. */
  retired: { count: number; peakConnections: number; connectionsCreated: number }
  /** Close and drop reasons summed over every peer this host ran (live and retired). */
  closed: Record<string, number>
  dropped: Record<string, number>
  /** Counts summed over every peer this host ran: requests sent and served, churn replications, connections created. */
  totals: Record<string, number>
  /** Warning and error log lines of the peers, by event. */
  warnings: Record<string, number>
  /** Crashed peers' connections still held open (silent) until CRASH_SILENCE_MS. */
  silentConnections: number
  rssMb: number
  /** This process's event loop delay since the last stats (ms). */
  loopDelayMs: { p50: number; p99: number; max: number }
}

const { values } = parseArgs({
  options: {
    signal: { type: 'string' },
    k: { type: 'string', default: '20' },
    budget: { type: 'string', default: '32' },
  },
})
if (values.signal === undefined) {
  process.stderr.write('peer-host: --signal ws://HOST:PORT/signal is required\n')
  process.exit(2)
}
const signal = values.signal
const k = Number(values.k)
const budget = Number(values.budget)

// --- crashes without goodbye ---------------------------------------------------------------
// A peer shares this process with others, so it cannot be killed. Instead each peer gets its
// WebRTC through its own wrapper of the peer factory; a crash silences the wrapper, then closes
// the peer: the BYE each open channel would send is swallowed, and the connections are not
// closed but kept (silent: nothing is sent, frames that arrive go nowhere) for CRASH_SILENCE_MS,
// as after a real crash its peers hear nothing until their heartbeat gives up.
let silentConnections = 0

/** A peer factory whose connections all go silent at `crash()` (all over one UDP port, as `createPeer`'s default). */
async function crashable(): Promise<{ factory: PeerFactory; crash: () => void }> {
  const nodeFactory = nodePeerFactory(polyfill, { icePort: await freeUdpPort('127.0.0.1') })
  let crashed = false
  const factory: PeerFactory = (init, events) => {
    const inner = nodeFactory(init, events)
    return {
      signal: (data) => void (crashed ? undefined : inner.signal(data)),
      send: (data) => void (crashed ? undefined : inner.send(data)),
      destroy: () => {
        if (!crashed) return inner.destroy()
        silentConnections++
        setTimeout(() => {
          silentConnections--
          inner.destroy()
        }, CRASH_SILENCE_MS).unref()
      },
      get bufferSize() {
        return inner.bufferSize
      },
    }
  }
  return { factory, crash: () => (crashed = true) }
}

/** Direct-link sockets (to the other Node peers) that go silent at `crash()` too, for as long. */
async function crashableSockets(): Promise<{ sockets: DirectSockets; crash: () => void }> {
  const inner = await listenDirect({ host: '127.0.0.1', port: 0, maxMessageBytes: DIRECT_MAX_MESSAGE_BYTES, dialTimeoutMs: DIRECT_DIAL_TIMEOUT_MS })
  let crashed = false
  const later = (close: () => void): void => {
    if (!crashed) return close()
    silentConnections++
    setTimeout(() => {
      silentConnections--
      close()
    }, CRASH_SILENCE_MS).unref()
  }
  const wrap = (socket: DirectSocket): DirectSocket => ({
    send: (bytes) => void (crashed ? undefined : socket.send(bytes)),
    close: () => later(() => socket.close()),
    get bufferedAmount() {
      return socket.bufferedAmount
    },
  })
  const guard = (events: DirectSocketEvents): DirectSocketEvents => ({
    open: () => void (crashed ? undefined : events.open()),
    message: (bytes) => void (crashed ? undefined : events.message(bytes)),
    close: () => events.close(),
  })
  const sockets: DirectSockets = {
    url: inner.url,
    dial: (url, events) => wrap(inner.dial(url, guard(events))),
    listen: (accept) => inner.listen((socket) => guard(accept(wrap(socket)))),
    close: () => later(() => inner.close()),
  }
  return { sockets, crash: () => (crashed = true) }
}

// --- peers -----------------------------------------------------------------------------------
const dataRoot = mkdtempSync(join(tmpdir(), 'churn-peers-'))
const warnings: Record<string, number> = {}
const log = createLogger({
  quiet: true,
  write: (line, level) => {
    if (level === 'info') return
    // `<time> <peer> WARN <event> key=value …`; a reason is counted with its event.
    const event = line.split(' ')[3] ?? '?'
    const reason = /\sreason=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)?.[1]
    const key = reason === undefined ? event : `${event}: ${reason.replace(/^"|"$/g, '').slice(0, 80)}`
    warnings[key] = (warnings[key] ?? 0) + 1
  },
})
interface Running {
  peer: NodePeer
  dir: string
  crash: () => void
}
const peers = new Map<string, Running>()
const retired = { count: 0, peakConnections: 0, connectionsCreated: 0 }
const closed: Record<string, number> = {}
const dropped: Record<string, number> = {}
const totals: Record<string, number> = {}
let started = 0

const add = (into: Record<string, number>, from: Record<string, number>): void => {
  for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + n
}

const loopDelay = monitorEventLoopDelay({ resolution: 20 })
loopDelay.enable()


function totalsOf(peer: NodePeer): Record<string, number> {
  const node = peer.node.stats()
  const transport = peer.transport.stats()
  return {
    requestsSent: node.requestsSent,
    ...Object.fromEntries(Object.entries(node.requestsSentByType).map(([type, n]) => [`requestsSent ${type}`, n])),
    requestsFailed: node.requestsFailed,
    slowRequests: node.slowRequests,
    requestsServed: node.requestsServed,
    churnReplications: node.churnReplications,
    churnLookups: node.churnLookups,
    ...Object.fromEntries(Object.entries(node.churnFallbacks).map(([cause, n]) => [`churnFallbacks ${cause}`, n])),
    connectionsCreated: transport.connectionsCreated,
    signalsSent: transport.signalsSent,
    relaysForwarded: transport.relaysForwarded,
  }
}

async function start(): Promise<string> {
  const dir = join(dataRoot, String(started++))
  const webrtc = await crashable()
  const direct = await crashableSockets()
  const crash = (): void => {
    webrtc.crash()
    direct.crash()
  }
  const peer = await NodePeer.start({ dataDir: dir, signals: [signal], k, budget, loopback: true, log, sync: false, peerFactory: webrtc.factory, direct: { sockets: direct.sockets } })
  peers.set(peer.id, { peer, dir, crash })
  return peer.id
}

/** Takes a peer out of the table, keeping its figures for the totals. */
function retire(id: string): Running {
  const running = peers.get(id)
  if (running === undefined) throw new Error(`no peer ${id} here`)
  peers.delete(id)
  const stats = running.peer.transport.stats()
  retired.count++
  retired.peakConnections = Math.max(retired.peakConnections, stats.peakConnections)
  retired.connectionsCreated = Math.max(retired.connectionsCreated, stats.connectionsCreated)
  add(closed, stats.closed)
  add(dropped, stats.dropped)
  add(totals, totalsOf(running.peer))
  return running
}

async function stop(id: string): Promise<void> {
  const { peer, dir } = retire(id)
  await peer.stop()
  rmSync(dir, { recursive: true, force: true })
}

/**
 * Dies without a word: its connections go silent (above), then the peer closes as usual, which
 * sends nothing more: the BYE frames are swallowed and the connections kept open, mute.
 */
async function crash(id: string): Promise<void> {
  const { peer, dir, crash: silence } = retire(id)
  silence()
  await peer.stop()
  rmSync(dir, { recursive: true, force: true })
}

function stats(): HostStats {
  const live = [...peers.values()].map(({ peer }): HostPeerStats => {
    const transport = peer.transport.stats()
    const status = peer.status()
    return {
      id: status.id,
      connections: transport.open,
      connecting: transport.connecting,
      contacts: status.contacts,
      records: status.records,
      connectionsCreated: transport.connectionsCreated,
      peakConnections: transport.peakConnections,
    }
  })
  const allClosed = { ...closed }
  const allDropped = { ...dropped }
  const allTotals = { ...totals }
  for (const { peer } of peers.values()) {
    const transport = peer.transport.stats()
    add(allClosed, transport.closed)
    add(allDropped, transport.dropped)
    add(allTotals, totalsOf(peer))
  }
  const nonZero = (counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0))
  return {
    peers: live,
    retired: { ...retired },
    closed: nonZero(allClosed),
    dropped: nonZero(allDropped),
    totals: allTotals,
    warnings: { ...warnings },
    silentConnections,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    loopDelayMs: loopDelayMs(),
  }
}

function loopDelayMs(): HostStats['loopDelayMs'] {
  const ms = (ns: number): number => Math.round(ns / 1e6)
  const delay = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) }
  loopDelay.reset()
  return delay
}

const answer = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`)

async function handle(line: string): Promise<void> {
  let seq: unknown
  try {
    const command = JSON.parse(line) as { seq?: unknown; cmd?: unknown; peer?: unknown }
    seq = command.seq
    const peer = typeof command.peer === 'string' ? command.peer : ''
    if (command.cmd === 'start') {
      const started = performance.now()
      const id = await start()
      answer({ seq, ok: true, peer: id, ms: Math.round(performance.now() - started) })
    }
    else if (command.cmd === 'stop' || command.cmd === 'crash') {
      await (command.cmd === 'stop' ? stop(peer) : crash(peer))
      answer({ seq, ok: true })
    }
    else if (command.cmd === 'stats') answer({ seq, ok: true, stats: stats() })
    else answer({ seq, ok: false, error: `unknown command ${JSON.stringify(command.cmd)}` })
  } catch (error) {
    answer({ seq, ok: false, error: error instanceof Error ? error.message : String(error) })
  }
}

let exiting = false
async function exit(): Promise<void> {
  if (exiting) return
  exiting = true
  await Promise.allSettled([...peers.values()].map(({ peer }) => peer.stop()))
  rmSync(dataRoot, { recursive: true, force: true })
  process.exit(0)
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() !== '') void handle(line)
})
lines.on('close', () => void exit())
process.on('SIGTERM', () => void exit())
process.on('SIGINT', () => void exit())
