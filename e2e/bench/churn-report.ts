/**
 * The figures of bench/churn.ts: from what the run recorded to the human table and the JSON line.
 */
import type { HookStatus } from './common.ts'
import { percentile, round, sumCounts, summary } from './common.ts'
import type { HostStats } from './peer-hosts.ts'

export interface Put {
  name: string
  value: string
  /** When it resolved (or failed), and the measured minute it started in. */
  at: number
  minute: number
  ms?: number
  /** Of `ms`, its node lookup's time (the rest went to its STOREs), and that lookup's failed requests. */
  lookupMs?: number
  failures?: number
  holders?: number
  /** Set when the put failed or timed out: its key is never read. */
  error?: string
}

export interface Get {
  minute: number
  /** The value put under the key came back. */
  ok: boolean
  /** Unset when the call failed or timed out. */
  ms?: number
  rounds?: number
  /** Requests of its lookup that failed, and that it stopped waiting on (slow). */
  failures?: number
  slowRequests?: number
  local?: boolean
  error?: string
}

/** A get slower than this (issue 11's goal for get p99) counts among the slow gets of the report. */
export const SLOW_GET_MS = 200

export interface TabFigures {
  status: HookStatus
  closed: Record<string, number>
  dropped: Record<string, number>
}

/** What a minute's progress line says, kept for the report. */
export interface MinuteDiagnosis {
  minute: number
  getMs: { p50: number; p99: number }
  /** CPU used by each group of processes (bench, server, peerHosts, browser, renderers), in cores. */
  cpuCores: Record<string, number>
  load1: number
  tabChannels: number
  tabContacts: number
  tabCreatedMax: number
  nodePeers: number
  peerChannels: number
  hostLoopDelayMaxMs: number
  hostLoopDelayP99Ms: number
  /** The slowest Node peer start (in its host) of the minute. */
  peerStartMsMax: number
  /** What the Node peers did during the minute (requests, churn replications, connections created, drops by reason). */
  peerCounts: Record<string, number>
  hostRssMb: number[]
  treePssMb: number
}

export interface ChurnInput {
  options: { tabs: number; nodePeers: number; minutes: number; churn: number; k: number; peerBudget: number; peersPerHost: number }
  hostCount: number
  churned: { tabs: number; nodePeers: number; crashed: number; graceful: number; slowJoins: number; failed: number }
  churnByMinute: number[]
  minutes: MinuteDiagnosis[]
  puts: Put[]
  putsAborted: number
  gets: Get[]
  getsAborted: number
  checked: number
  lostKeys: { name: string; ageS: number; holdersAtPut: number; liveTabsHolding: number }[]
  /** Every tab that ran: read before it closed, or at the end. */
  tabs: TabFigures[]
  hosts: HostStats[]
  /** How long each Node peer start took in its host (ms). */
  peerStartMs: number[]
  /** From opening each tab to its having joined (ms). */
  tabJoinMs: number[]
  pageErrors: string[]
  rendererCrashes: number
  peakPssMb: number
  warmupS: number
  wallS: number
}

export type ChurnResult = ReturnType<typeof result>

const sum = (records: Record<string, number>[]): Record<string, number> => Object.fromEntries(Object.entries(sumCounts(records)).filter(([, n]) => n > 0))
const max = (values: number[]): number => Math.max(0, ...values)
const successOf = (gets: Get[]): number | null => (gets.length === 0 ? null : round(gets.filter((g) => g.ok).length / gets.length, 4))

/** The network gets slower than SLOW_GET_MS: how many met a failed request, a slow one, or neither (waited in queues). */
function slowGetsOf(network: readonly Get[]) {
  const slow = network.filter((g) => g.ms! > SLOW_GET_MS)
  const withFailures = slow.filter((g) => (g.failures ?? 0) > 0).length
  const withSlowRequests = slow.filter((g) => (g.slowRequests ?? 0) > 0).length
  const neither = slow.filter((g) => (g.failures ?? 0) === 0 && (g.slowRequests ?? 0) === 0).length
  return { count: slow.length, withFailures, withSlowRequests, neither, rounds: summary(slow.map((g) => g.rounds!)) }
}

/** Where stored puts spent their time: the node lookup, and the STOREs after it (ms − lookupMs). */
function putPhasesOf(stored: readonly Put[]) {
  const timed = stored.filter((p) => p.lookupMs !== undefined)
  return {
    lookupMs: summary(timed.map((p) => p.lookupMs!)),
    storeMs: summary(timed.map((p) => p.ms! - p.lookupMs!)),
    withFailures: timed.filter((p) => (p.failures ?? 0) > 0).length,
  }
}

function result(input: ChurnInput) {
  const { options: o, gets, puts, tabs, hosts } = input
  const stored = puts.filter((p) => p.error === undefined)
  const done = gets.filter((g) => g.ms !== undefined)
  const network = done.filter((g) => g.local !== true)
  const perMinute = Array.from({ length: Math.ceil(o.minutes) }, (_, minute) => {
    const these = gets.filter((g) => g.minute === minute)
    const diagnosis: Partial<MinuteDiagnosis> = { ...input.minutes[minute] }
    delete diagnosis.minute
    delete diagnosis.getMs
    return {
      minute: minute + 1,
      gets: these.length,
      ok: these.filter((g) => g.ok).length,
      success: successOf(these),
      getMs: summary(these.flatMap((g) => (g.ms === undefined ? [] : [g.ms]))),
      puts: puts.filter((p) => p.minute === minute).length,
      putMs: summary(puts.flatMap((p) => (p.minute === minute && p.ms !== undefined ? [p.ms] : []))),
      putPhases: putPhasesOf(stored.filter((p) => p.minute === minute)),
      churned: input.churnByMinute[minute] ?? 0,
      ...diagnosis,
    }
  })
  const peers = hosts.flatMap((h) => h.peers)
  return {
    tabs: o.tabs,
    nodePeers: o.nodePeers,
    minutes: o.minutes,
    churnPerMinute: o.churn,
    k: o.k,
    peerBudget: o.peerBudget,
    peerHosts: input.hostCount,
    churned: input.churned,
    puts: stored.length,
    putsFailed: puts.length - stored.length,
    putsAborted: input.putsAborted,
    putMs: summary(stored.map((p) => p.ms!)),
    putPhases: putPhasesOf(stored),
    putHolders: { p50: percentile(stored.map((p) => p.holders!), 50), min: stored.length === 0 ? null : Math.min(...stored.map((p) => p.holders!)) },
    gets: gets.length,
    getsOk: gets.filter((g) => g.ok).length,
    getsNotFound: done.filter((g) => !g.ok).length,
    getsErrored: gets.length - done.length,
    getsAborted: input.getsAborted,
    getSuccess: successOf(gets),
    getMs: summary(done.map((g) => g.ms!)),
    rounds: summary(network.map((g) => g.rounds!)),
    slowGets: slowGetsOf(network),
    localGets: done.length === 0 ? null : round((done.length - network.length) / done.length, 3),
    perMinute,
    valuesChecked: input.checked,
    valuesLost: input.lostKeys.length,
    lostKeys: input.lostKeys.slice(0, 20),
    tabsRun: tabs.length,
    peakConnectionsPerTab: max(tabs.map((t) => t.status.peakConnections)),
    createdConnectionsPerTabMax: max(tabs.map((t) => t.status.connectionsCreated)),
    connectionsPerTab: { peakP50: percentile(tabs.map((t) => t.status.peakConnections), 50), createdP50: percentile(tabs.map((t) => t.status.connectionsCreated), 50) },
    tabSignals: { viaServer: tabs.reduce((a, t) => a + t.status.signalsViaServer, 0), viaOverlay: tabs.reduce((a, t) => a + t.status.signalsViaOverlay, 0) },
    tabClosed: sum(tabs.map((t) => t.closed)),
    tabDropped: sum(tabs.map((t) => t.dropped)),
    maxConnectionsPerNodePeer: max([...peers.map((p) => p.peakConnections), ...hosts.map((h) => h.retired.peakConnections)]),
    createdConnectionsPerNodePeerMax: max([...peers.map((p) => p.connectionsCreated), ...hosts.map((h) => h.retired.connectionsCreated)]),
    nodePeerChannelsAtEnd: { p50: percentile(peers.map((p) => p.connections), 50), min: peers.length === 0 ? null : Math.min(...peers.map((p) => p.connections)) },
    peerClosed: sum(hosts.map((h) => h.closed)),
    peerDropped: sum(hosts.map((h) => h.dropped)),
    peerWarnings: sum(hosts.map((h) => h.warnings)),
    peerHostRssMb: hosts.map((h) => h.rssMb),
    peerStartMs: { ...summary(input.peerStartMs), max: max(input.peerStartMs) },
    tabJoinMs: { ...summary(input.tabJoinMs), max: max(input.tabJoinMs) },
    pageErrors: input.pageErrors.length,
    rendererCrashes: input.rendererCrashes,
    peakTreePssMb: Math.round(input.peakPssMb),
    warmupS: Math.round(input.warmupS),
    wallS: Math.round(input.wallS),
  }
}

const percent = (x: number | null): string => (x === null ? '-' : `${round(x * 100, 2)} %`)
const counts = (record: Record<string, number>): string => Object.entries(record).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'

/** Prints the table on stdout, and with `json` the result as the last line. */
export function printReport(input: ChurnInput, json: boolean): void {
  const r = result(input)
  const goals = {
    getSuccess: r.getSuccess !== null && r.getSuccess >= 0.999,
    valuesLost: r.valuesLost === 0,
    created: r.createdConnectionsPerTabMax < 300,
  }
  const rows: [string, string][] = [
    ['setup', `${r.tabs} tabs, ${r.nodePeers} Node peers (${r.peerHosts} hosts), k = ${r.k}, ${r.minutes} min, ${r.churnPerMinute} churn/min`],
    ['churned', `${r.churned.tabs} tabs, ${r.churned.nodePeers} Node peers (${r.churned.crashed} crashed, ${r.churned.graceful} stopped)${r.churned.slowJoins > 0 ? `; ${r.churned.slowJoins} new tabs slow to join` : ''}${r.churned.failed > 0 ? `; ${r.churned.failed} steps FAILED` : ''}`],
    ['puts', `${r.puts} stored, ${r.putsFailed} failed, ${r.putsAborted} aborted (tab closed); p50 ${r.putMs.p50} ms, p99 ${r.putMs.p99} ms; holders p50 ${r.putHolders.p50}, min ${r.putHolders.min}`],
    ['gets', `${percent(r.getSuccess)} found (${r.getsOk}/${r.gets}; ${r.getsNotFound} not found, ${r.getsErrored} errors, ${r.getsAborted} aborted)`],
    ['get success per minute', r.perMinute.map((m) => percent(m.success)).join('  ')],
    ['put latency per minute (p50)', r.perMinute.map((m) => `${Math.round(m.putMs.p50)} ms`).join('  ')],
    ['put: lookup, then STOREs', `lookup p50 ${r.putPhases.lookupMs.p50} ms, p99 ${r.putPhases.lookupMs.p99} ms; STOREs p50 ${r.putPhases.storeMs.p50} ms, p99 ${r.putPhases.storeMs.p99} ms; ${r.putPhases.withFailures} lookups met a failed request`],
    ['get latency', `p50 ${r.getMs.p50} ms, p99 ${r.getMs.p99} ms; ${percent(r.localGets)} answered locally`],
    ['lookup rounds (network gets)', `p50 ${r.rounds.p50}, p99 ${r.rounds.p99}`],
    [`network gets over ${SLOW_GET_MS} ms`, `${r.slowGets.count}: ${r.slowGets.withFailures} with a failed request, ${r.slowGets.withSlowRequests} with a slow one, ${r.slowGets.neither} with neither (rounds p50 ${r.slowGets.rounds.p50})`],
    ['values lost', `${r.valuesLost} of ${r.valuesChecked}`],
    ['tab join (open → 1 channel, 3 contacts)', `p50 ${r.tabJoinMs.p50} ms, p99 ${r.tabJoinMs.p99} ms, max ${r.tabJoinMs.max} ms (${input.tabJoinMs.length} tabs)`],
    ['connections per tab', `peak max ${r.peakConnectionsPerTab} (p50 ${r.connectionsPerTab.peakP50}), created max ${r.createdConnectionsPerTabMax} (p50 ${r.connectionsPerTab.createdP50}), over ${r.tabsRun} tabs`],
    ['tab closes', counts(r.tabClosed)],
    ['tab drops', counts(r.tabDropped)],
    ['Node peers', `max connections ${r.maxConnectionsPerNodePeer}, created max ${r.createdConnectionsPerNodePeerMax}, channels at end p50 ${r.nodePeerChannelsAtEnd.p50}, min ${r.nodePeerChannelsAtEnd.min}; start p50 ${r.peerStartMs.p50} ms, max ${r.peerStartMs.max} ms`],
    ['Node peer closes', counts(r.peerClosed)],
    ['Node peer drops, warnings', `${counts(r.peerDropped)}; ${counts(r.peerWarnings)}`],
    ['page errors, renderer crashes', `${r.pageErrors}, ${r.rendererCrashes}`],
    ['CPU cores per minute', r.perMinute.map((m) => (m.cpuCores === undefined ? '-' : Object.values(m.cpuCores).reduce((a, b) => a + b, 0).toFixed(1))).join('  ')],
    ['memory, time', `peak PSS of all processes ${(r.peakTreePssMb / 1024).toFixed(1)} GB; host RSS ${r.peerHostRssMb.join('/')} MB; warm-up ${r.warmupS} s, wall ${r.wallS} s`],
    ['goal get success ≥ 99.9 %', goals.getSuccess ? 'met' : 'NOT met'],
    ['goal no value lost', goals.valuesLost ? 'met' : 'NOT met'],
    ['goal < 300 connections created per tab', goals.created ? 'met' : 'NOT met'],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  for (const [label, text] of rows) console.log(`${label.padEnd(width)}  ${text}`)
  if (json) console.log(JSON.stringify({ ...r, goals }))
}
