/**
 * The work of bench/compare.ts, the same for both systems, run in one child process per system
 * (compare-run.ts) so that its CPU time and RSS are that system's: N nodes join, then puts from
 * random nodes and gets of random stored values from random other nodes, one at a time, then an
 * idle period. A `System` is the one thing that differs (compare-bittorrent.ts, compare-peers.ts).
 */
import { randomBytes } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { log, sleep, timed } from './timing.ts'

/** Everything the work needs of a DHT implementation with N nodes in this process. */
export interface System {
  /**
   * What a node keeps across restarts and makes once, before the join is timed: this project's
   * identities (each solves the ID puzzle). Optional; its time and CPU are reported apart.
   */
  prepare?(nodes: number): Promise<void>
  /** Starts N nodes (node 0 … N − 1); resolves once all have started (not necessarily joined). */
  start(nodes: number): Promise<void>
  /** How many nodes have joined: the system's own signal, and at least `minContacts` in the routing table. */
  joined(minContacts: number): number
  /** Stores `value` from node `node`; resolves with the key it can be got by. */
  put(node: number, value: Uint8Array): Promise<Uint8Array>
  /** Node `node` looks the key up over the network; undefined when nothing was found. */
  get(node: number, key: Uint8Array): Promise<Uint8Array | undefined>
  /** Node `node` holds the key itself (a get from it would be local). */
  holds(node: number, key: Uint8Array): boolean
  /** DHT requests node `node` has sent so far. */
  requestsSent(node: number): number
  /** What all nodes have sent so far: packets (UDP datagrams; data-channel frames for WebRTC) and their payload bytes. */
  sent(): { packets: number; bytes: number }
  /** Anything worth printing beside the figures (connections, warnings). */
  detail(): Record<string, unknown>
  close(): Promise<void>
}

export interface WorkOptions {
  nodes: number
  puts: number
  gets: number
  idleS: number
  /** Bytes of each value put. */
  valueBytes: number
}

export interface RunResult {
  nodes: number
  /** `System.prepare`'s wall time and process CPU (b: the identities' ID puzzles), before the join. */
  prepareS: number
  prepareCpuS: number
  /** From the first start until the last node had started (b: each solves the ID puzzle first). */
  startS: number
  /** From the first start until all N had joined; null when not all joined in JOIN_TIMEOUT_MS after the last start. */
  joinS: number | null
  joined: number
  /** Process CPU (user + system, every thread) from the first start until all joined. */
  joinCpuS: number
  rssMb: number
  putMs: number[]
  getMs: number[]
  putsFailed: number
  getsFailed: number
  /** Gets that found nothing or another value. */
  getsWrong: number
  requestsPerGet: number
  /** Bytes all nodes sent while the gets ran, per get, less the idle rate over the gets' time. */
  bytesPerGet: number
  /** The same without subtracting the idle rate. */
  bytesPerGetGross: number
  /** Packets (a: UDP datagrams, b: link frames) all nodes sent while the gets ran, per get, idle rate included. */
  packetsPerGetGross: number
  idleCpuPct: number
  idlePacketsPerS: number
  idleBytesPerS: number
  /** This process's event-loop delay while idle (ms): how busy the main thread is with nothing to do. */
  idleLoopDelayMs: { p50: number; p99: number; max: number }
  detail: Record<string, unknown>
}

/** A node has joined with at least this many contacts (as bench:churn's tabs). */
const MIN_CONTACTS = 3
/** After the last node started, all must have joined within this long. */
const JOIN_TIMEOUT_MS = 300_000
/** How often the join is checked: the resolution of the join time. */
const JOIN_POLL_MS = 20
/** The event-loop delay monitor's tick while idle. */
const LOOP_DELAY_RESOLUTION_MS = 10
/** A put or get not done in this long fails. */
const OP_TIMEOUT_MS = 30_000

const cpuS = (): number => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
const randomInt = (n: number): number => Math.floor(Math.random() * n)
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i])

/** Starts the nodes and waits until all have joined: the join time, its CPU and the RSS after it. */
async function join(system: System, n: number): Promise<Pick<RunResult, 'startS' | 'joinS' | 'joined' | 'joinCpuS' | 'rssMb'>> {
  const minContacts = Math.min(MIN_CONTACTS, n - 1)
  const cpu0 = cpuS()
  const t0 = performance.now()
  await system.start(n)
  const startS = (performance.now() - t0) / 1000
  log(`${n} nodes started in ${startS.toFixed(1)} s`)
  const deadline = performance.now() + JOIN_TIMEOUT_MS
  let joined = system.joined(minContacts)
  let lastLog = performance.now()
  while (joined < n && performance.now() < deadline) {
    await sleep(JOIN_POLL_MS)
    joined = system.joined(minContacts)
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now()
      log(`${joined}/${n} joined after ${((lastLog - t0) / 1000).toFixed(0)} s`)
    }
  }
  const joinS = joined === n ? (performance.now() - t0) / 1000 : null
  const joinCpuS = cpuS() - cpu0
  const rssMb = process.memoryUsage().rss / 2 ** 20
  log(joinS === null ? `only ${joined}/${n} joined ${JOIN_TIMEOUT_MS / 1000} s after the last start` : `all ${n} joined in ${joinS.toFixed(2)} s, ${joinCpuS.toFixed(1)} CPU-s, RSS ${rssMb.toFixed(0)} MB`)
  return { startS, joinS, joined, joinCpuS, rssMb }
}

/** A getter for `key`: not its putter and not a holder (a network get), when there is one. */
function getterFor(system: System, n: number, key: Uint8Array, putter: number): number {
  for (let tries = 0; tries < 10 * n; tries++) {
    const node = randomInt(n)
    if (node !== putter && !system.holds(node, key)) return node
  }
  return (putter + 1 + randomInt(n - 1)) % n
}

export async function runWork(system: System, o: WorkOptions): Promise<RunResult> {
  const n = o.nodes
  const [prepareCpu0, prepareT0] = [cpuS(), performance.now()]
  await system.prepare?.(n)
  const prepared = { prepareS: (performance.now() - prepareT0) / 1000, prepareCpuS: cpuS() - prepareCpu0 }
  if (system.prepare !== undefined) log(`${n} nodes prepared in ${prepared.prepareS.toFixed(1)} s, ${prepared.prepareCpuS.toFixed(1)} CPU-s`)
  const joined = { ...prepared, ...(await join(system, n)) }

  const stored: { key: Uint8Array; value: Uint8Array; putter: number }[] = []
  const putMs: number[] = []
  let putsFailed = 0
  for (let i = 0; i < o.puts; i++) {
    const putter = randomInt(n)
    const value = randomBytes(o.valueBytes)
    const t = performance.now()
    try {
      const key = await timed(system.put(putter, value), OP_TIMEOUT_MS)
      putMs.push(performance.now() - t)
      stored.push({ key, value, putter })
    } catch (error) {
      putsFailed++
      log(`put ${i + 1} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  log(`${putMs.length}/${o.puts} puts done`)
  if (stored.length === 0) throw new Error('no put succeeded')

  const getMs: number[] = []
  let getsFailed = 0
  let getsWrong = 0
  let requests = 0
  const sent0 = system.sent()
  const getsT0 = performance.now()
  for (let i = 0; i < o.gets; i++) {
    const { key, value, putter } = stored[randomInt(stored.length)]!
    const getter = getterFor(system, n, key, putter)
    const requests0 = system.requestsSent(getter)
    const t = performance.now()
    try {
      const got = await timed(system.get(getter, key), OP_TIMEOUT_MS)
      getMs.push(performance.now() - t)
      if (got === undefined || !equal(got, value)) getsWrong++
    } catch (error) {
      getsFailed++
      log(`get ${i + 1} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
    requests += system.requestsSent(getter) - requests0
  }
  const sent1 = system.sent()
  const getBytes = sent1.bytes - sent0.bytes
  const getsS = (performance.now() - getsT0) / 1000
  log(`${getMs.length}/${o.gets} gets done (${getsWrong} found nothing or another value)`)

  const idleSent0 = system.sent()
  const idleCpu0 = cpuS()
  const idleT0 = performance.now()
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
  loopDelay.enable()
  await sleep(o.idleS * 1000)
  loopDelay.disable()
  // Each sample is the time between the monitor's ticks: the resolution and the delay beyond it.
  const delayMs = (ns: number): number => Math.max(0, Math.round(ns / 1e6 - LOOP_DELAY_RESOLUTION_MS))
  const idleLoopDelayMs = { p50: delayMs(loopDelay.percentile(50)), p99: delayMs(loopDelay.percentile(99)), max: delayMs(loopDelay.max) }
  const idleS = (performance.now() - idleT0) / 1000
  const idleSent = system.sent()
  const idleCpuPct = ((cpuS() - idleCpu0) / idleS) * 100
  const idlePacketsPerS = (idleSent.packets - idleSent0.packets) / idleS
  const idleBytesPerS = (idleSent.bytes - idleSent0.bytes) / idleS
  log(`idle ${idleS.toFixed(1)} s: ${idleCpuPct.toFixed(1)} % of a core, ${idlePacketsPerS.toFixed(0)} packets/s, event-loop delay p99 ${idleLoopDelayMs.p99} ms`)

  return {
    nodes: n,
    ...joined,
    putMs,
    getMs,
    putsFailed,
    getsFailed,
    getsWrong,
    requestsPerGet: requests / o.gets,
    bytesPerGet: Math.max(0, getBytes - idleBytesPerS * getsS) / o.gets,
    bytesPerGetGross: getBytes / o.gets,
    packetsPerGetGross: (sent1.packets - sent0.packets) / o.gets,
    idleCpuPct,
    idlePacketsPerS,
    idleBytesPerS,
    idleLoopDelayMs,
    detail: system.detail(),
  }
}
