/**
 * What idle Node peers cost: N peers in this process (createPeer, 127.0.0.1 only, a budget of
 * connections each) join through a local signaling server, settle, then do nothing for a while.
 * Prints the process's CPU over the idle window by thread (Node's main thread, node-datachannel's
 * libjuice poll thread, usrsctp's timer thread, …), per open connection, the data-channel frames
 * sent a second, and the main thread's busiest JavaScript (a CPU profile of the same window).
 * Linux only (threads from /proc/self/task).
 *
 * `--socket-per-connection`: each WebRTC connection on a UDP socket of its own (`icePort: null`)
 * instead of one port per peer (ICE UDP mux, the default).
 * `--no-direct`: WebRTC between the peers (`direct: null`) instead of direct links (a WebSocket
 * each, the default between Node peers).
 *
 *   npm run bench:idle -- [--peers 40] [--budget 32] [--idle-s 20] [--heartbeat-ms 5000] [--socket-per-connection] [--no-direct] [--json]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createPeer, type Peer } from '@browser-dht/peer'
import { createSignalingServer } from '@browser-dht/signaling-server'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '40' },
    budget: { type: 'string', default: '32' },
    'idle-s': { type: 'string', default: '20' },
    'settle-s': { type: 'string', default: '30' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'socket-per-connection': { type: 'boolean', default: false },
    'no-direct': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
})
const [peersWanted, budget, idleS, settleS, heartbeatMs] = [values.peers, values.budget, values['idle-s'], values['settle-s'], values['heartbeat-ms']].map(Number) as [number, number, number, number, number]
const perConnection = values['socket-per-connection']
const noDirect = values['no-direct']
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU ticks (1/100 s) per thread name (trailing digits folded), from /proc. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]))
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out
}

const server = await createSignalingServer({ log: () => {}, host: '127.0.0.1', port: 0, idPuzzleBits: 0, maxSocketsPerAddress: 10_000, maxSocketsPerNetwork: 10_000, registrationsPerMinutePerAddress: 100_000, registrationsPerMinutePerNetwork: 100_000 })
const root = mkdtempSync(join(tmpdir(), 'idle-cost-'))
const peers: Peer[] = []
try {
  let next = 0
  const starter = async (): Promise<void> => {
    for (let i = next++; i < peersWanted; i = next++) {
      peers[i] = await createPeer({ dataDir: join(root, String(i)), signal: [server.url()], sync: false, loopbackOnly: true, idPuzzleBits: 0, transport: { maxConnections: budget, heartbeatIntervalMs: heartbeatMs }, ...(perConnection ? { icePort: null } : {}), ...(noDirect ? { direct: null } : {}) })
    }
  }
  await Promise.all(Array.from({ length: Math.min(10, peersWanted) }, starter))
  await sleep(settleS * 1000)

  const frames = (): number => peers.reduce((sum, peer) => sum + peer.transport.stats().framesSent, 0)
  const connections = peers.reduce((sum, peer) => sum + peer.transport.stats().open, 0) / 2
  const [ticks0, frames0, cpu0] = [threadTicks(), frames(), process.cpuUsage()]
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  const started = performance.now()
  await sleep(idleS * 1000)
  const { profile } = await session.post('Profiler.stop')
  const wallS = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const [ticks1, framesPerS] = [threadTicks(), (frames() - frames0) / wallS]
  const pct = (cpuS: number): number => Number(((cpuS / wallS) * 100).toFixed(2))
  const threads = Object.fromEntries(
    [...ticks1].map(([name, t]) => [name, pct((t - (ticks0.get(name) ?? 0)) / 100)] as const).filter(([, p]) => p > 0).sort((a, b) => b[1] - a[1]),
  )
  const processPct = pct((cpu.user + cpu.system) / 1e6)
  const memory = process.memoryUsage()
  const [rssMb, heapMb] = [Math.round(memory.rss / 1e6), Math.round(memory.heapUsed / 1e6)]

  // The main thread's JavaScript by self time (the profile's own "(idle)" is the event loop waiting).
  const self = new Map<string, number>()
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  profile.samples!.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const where = `${functionName || '(anonymous)'} ${url.replace(/.*\/(packages|node_modules)\//, '')}:${lineNumber + 1}`
    self.set(where, (self.get(where) ?? 0) + (profile.timeDeltas![i] ?? 0))
  })
  const sampled = [...self.values()].reduce((a, b) => a + b, 0)
  const busiest = [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([where, us]) => [where, Number(((us / sampled) * 100).toFixed(1))] as const)

  console.log(`${peersWanted} idle Node peers, budget ${budget}, ${connections} connections, ${noDirect ? 'all WebRTC' : 'direct links between them'}, ${perConnection ? 'a UDP socket per WebRTC connection' : 'one UDP port per peer'}, heartbeat ${heartbeatMs} ms, ${wallS.toFixed(1)} s idle:`)
  console.log('| | % of one core | per 100 connections |\n|---|---:|---:|')
  console.log(`| process | ${processPct} | ${((processPct / connections) * 100).toFixed(2)} |`)
  for (const [name, p] of Object.entries(threads)) console.log(`| thread ${name} | ${p} | ${((p / connections) * 100).toFixed(2)} |`)
  console.log(`link frames sent: ${framesPerS.toFixed(0)}/s; RSS ${rssMb} MB, of it JavaScript's heap ${heapMb} MB`)
  console.log('main thread, share of sampled time:')
  for (const [where, share] of busiest) console.log(`  ${String(share).padStart(5)} %  ${where}`)
  if (values.json) console.log(JSON.stringify({ peers: peersWanted, budget, connections, udpSocketPerConnection: perConnection, direct: !noDirect, heartbeatMs, idleS: Number(wallS.toFixed(1)), processCpuPct: processPct, threadsCpuPct: threads, framesPerSecond: Number(framesPerS.toFixed(1)), rssMb, heapMb, processCpuPctPer100Connections: Number(((processPct / connections) * 100).toFixed(3)) }))
} finally {
  await Promise.allSettled(peers.map((peer) => peer.close()))
  await server.close()
  rmSync(root, { recursive: true, force: true })
}
