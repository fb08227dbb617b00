/**
 * bench/compare.ts's figures: each run's, their medians over the runs, the ratios b / a, the
 * table and the JSON line.
 */
import { percentile, round, summary } from './common.ts'
import type { RunResult } from './compare-work.ts'

export type SystemName = 'a' | 'b'

/** One system's run: what its process measured, and (b) its signaling server's CPU. */
export interface Measured {
  result: RunResult
  signalingCpuS?: number
}

type Latency = { p50: number; p99: number }

export interface Figures {
  /** Null when not every node joined (in that run, or in any run for the medians). */
  joinS: number | null
  joinCpuS: number
  idleCpuPct: number
  rssMb: number
  putMs: Latency
  getMs: Latency
  requestsPerGet: number
  bytesPerGet: number
  idlePacketsPerS: number
}

export function figuresOf({ result: r }: Measured): Figures {
  return {
    joinS: r.joinS === null ? null : round(r.joinS, 2),
    joinCpuS: round(r.joinCpuS, 2),
    idleCpuPct: round(r.idleCpuPct, 2),
    rssMb: round(r.rssMb, 0),
    putMs: summary(r.putMs),
    getMs: summary(r.getMs),
    requestsPerGet: round(r.requestsPerGet, 2),
    bytesPerGet: round(r.bytesPerGet, 0),
    idlePacketsPerS: round(r.idlePacketsPerS, 1),
  }
}

const median = (values: number[]): number => percentile(values, 50)

/** Each figure's median over the runs (p50 and p99 each the median of the runs' own). */
export function medianFigures(runs: readonly Measured[]): Figures {
  const each = runs.map(figuresOf)
  const of = (field: Exclude<keyof Figures, 'joinS' | 'putMs' | 'getMs'>): number => median(each.map((f) => f[field]))
  const latency = (field: 'putMs' | 'getMs'): Latency => ({ p50: median(each.map((f) => f[field].p50)), p99: median(each.map((f) => f[field].p99)) })
  const joins = each.map((f) => f.joinS)
  return {
    joinS: joins.includes(null) ? null : median(joins as number[]),
    joinCpuS: of('joinCpuS'),
    idleCpuPct: of('idleCpuPct'),
    rssMb: of('rssMb'),
    putMs: latency('putMs'),
    getMs: latency('getMs'),
    requestsPerGet: of('requestsPerGet'),
    bytesPerGet: of('bytesPerGet'),
    idlePacketsPerS: of('idlePacketsPerS'),
  }
}

const ratio = (b: number | null, a: number | null): number | null => (a === null || b === null || a === 0 ? null : Number((b / a).toPrecision(3)))

type LatencyRatio = { p50: number | null; p99: number | null }
/** b / a for each figure; null where a is 0 or either is missing. */
export type Ratios = { [F in keyof Figures]: F extends 'putMs' | 'getMs' ? LatencyRatio : number | null }

export function ratios(a: Figures, b: Figures): Ratios {
  const latency = (field: 'putMs' | 'getMs'): LatencyRatio => ({ p50: ratio(b[field].p50, a[field].p50), p99: ratio(b[field].p99, a[field].p99) })
  return {
    joinS: ratio(b.joinS, a.joinS),
    joinCpuS: ratio(b.joinCpuS, a.joinCpuS),
    idleCpuPct: ratio(b.idleCpuPct, a.idleCpuPct),
    rssMb: ratio(b.rssMb, a.rssMb),
    putMs: latency('putMs'),
    getMs: latency('getMs'),
    requestsPerGet: ratio(b.requestsPerGet, a.requestsPerGet),
    bytesPerGet: ratio(b.bytesPerGet, a.bytesPerGet),
    idlePacketsPerS: ratio(b.idlePacketsPerS, a.idlePacketsPerS),
  }
}

/** 3 significant figures at most, thousands separated: 0.0912, 1.9, 41.3, 1,906. */
function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '–'
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : Math.abs(n) >= 1 ? 2 : 3
  return n.toLocaleString('en-US', { maximumFractionDigits: digits })
}
const times = (r: number | null): string => (r === null ? '–' : `${fmt(r)}×`)

export interface Report {
  nodes: number
  runs: number
  /** Each run's order, e.g. "ab". */
  orders: string[]
  a: Figures
  b: Figures
  measured: Record<SystemName, Measured[]>
}

/** What went wrong or beside the figures, over all runs of a system. */
function notes(runs: readonly Measured[]): Record<string, unknown> {
  const sum = (field: 'putsFailed' | 'getsFailed' | 'getsWrong'): number => runs.reduce((total, m) => total + m.result[field], 0)
  const signaling = runs.map((m) => m.signalingCpuS).filter((s) => s !== undefined)
  return {
    prepareS: runs.map((m) => round(m.result.prepareS, 1)),
    prepareCpuS: runs.map((m) => round(m.result.prepareCpuS, 1)),
    startS: runs.map((m) => round(m.result.startS, 1)),
    joined: runs.map((m) => m.result.joined),
    putsFailed: sum('putsFailed'),
    getsFailed: sum('getsFailed'),
    getsWrong: sum('getsWrong'),
    bytesPerGetGross: median(runs.map((m) => round(m.result.bytesPerGetGross, 0))),
    packetsPerGetGross: median(runs.map((m) => round(m.result.packetsPerGetGross, 1))),
    idleLoopDelayMsP99: runs.map((m) => m.result.idleLoopDelayMs.p99),
    ...(signaling.length === 0 ? {} : { signalingCpuS: median(signaling.map((s) => round(s, 2))) }),
    detail: runs.map((m) => m.result.detail),
  }
}

export function printReport(report: Report, json: boolean): void {
  const { a, b, nodes } = report
  const r = ratios(a, b)
  const row = (label: string, av: string, bv: string, ratioText: string): string => `| ${label} | ${av} | ${bv} | ${ratioText} |`
  const unit = (n: number | null, u: string): string => (n === null ? 'not all joined' : `${fmt(n)} ${u}`.trim())
  const lat = (l: Latency): string => `${fmt(l.p50)} / ${fmt(l.p99)} ms`
  const latRatio = (l: LatencyRatio): string => `${times(l.p50)} / ${times(l.p99)}`
  const lines = [
    `${nodes} nodes per system, one process each, 127.0.0.1 only; ${report.runs} run(s), orders ${report.orders.join(', ')}; medians over the runs. a = bittorrent-dht, b = this project; ratio = b / a.`,
    '',
    '| | bittorrent-dht | this project | ratio |',
    '|---|---:|---:|---:|',
    row(`all ${nodes} joined`, unit(a.joinS, 's'), unit(b.joinS, 's'), times(r.joinS)),
    row('process CPU to join', unit(a.joinCpuS, 's'), unit(b.joinCpuS, 's'), times(r.joinCpuS)),
    row('idle CPU after join (of one core)', unit(a.idleCpuPct, '%'), unit(b.idleCpuPct, '%'), times(r.idleCpuPct)),
    row('idle packets a second (a: UDP datagrams, b: data-channel frames)', fmt(a.idlePacketsPerS), fmt(b.idlePacketsPerS), times(r.idlePacketsPerS)),
    row('RSS after join', unit(a.rssMb, 'MB'), unit(b.rssMb, 'MB'), times(r.rssMb)),
    row('put p50 / p99', lat(a.putMs), lat(b.putMs), latRatio(r.putMs)),
    row('get p50 / p99 (network gets)', lat(a.getMs), lat(b.getMs), latRatio(r.getMs)),
    row('requests by the getter per get', fmt(a.requestsPerGet), fmt(b.requestsPerGet), times(r.requestsPerGet)),
    row('bytes per get, all nodes', fmt(a.bytesPerGet), fmt(b.bytesPerGet), times(r.bytesPerGet)),
  ]
  console.log(lines.join('\n'))
  const aNotes = notes(report.measured.a)
  const bNotes = notes(report.measured.b)
  console.log(`\na: all started in ${String(aNotes.startS)} s, joined ${String(aNotes.joined)}, puts failed ${aNotes.putsFailed}, gets failed ${aNotes.getsFailed}, gets wrong ${aNotes.getsWrong}; idle event-loop delay p99 ${String(aNotes.idleLoopDelayMsP99)} ms`)
  console.log(`b: identities made before the join in ${String(bNotes.prepareS)} s, ${String(bNotes.prepareCpuS)} CPU-s (each solves the ID puzzle; FRESH_IDENTITIES=1 puts this in the join); all started in ${String(bNotes.startS)} s, joined ${String(bNotes.joined)}, puts failed ${bNotes.putsFailed}, gets failed ${bNotes.getsFailed}, gets wrong ${bNotes.getsWrong}; idle event-loop delay p99 ${String(bNotes.idleLoopDelayMsP99)} ms; signaling server CPU ${fmt(bNotes.signalingCpuS as number)} s a run (not in b's figures)`)
  console.log(`Bytes per get: all nodes' sends while the gets ran, less the idle rate over that time (b without that: ${fmt(bNotes.bytesPerGetGross as number)}). b counts link-frame payload, a UDP payload. Packets sent while the gets ran, per get: a ${fmt(aNotes.packetsPerGetGross as number)} UDP datagrams, b ${fmt(bNotes.packetsPerGetGross as number)} link frames.`)
  if (!json) return
  const perRun = (system: SystemName): Figures[] => report.measured[system].map(figuresOf)
  console.log(JSON.stringify({ nodes, runs: report.runs, orders: report.orders, a: { ...a, ...aNotes, perRun: perRun('a') }, b: { ...b, ...bNotes, perRun: perRun('b') }, ratios: r }))
}
