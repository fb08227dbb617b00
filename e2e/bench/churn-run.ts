/**
 * The running state of bench/churn.ts: its tabs and Node peers, the churn events, the put and
 * get workload, the per-minute progress and the final check of every value.
 */
import { loadavg } from 'node:os'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { newContext } from '../tests/support.ts'
import { CpuMeter, hook, type HookStatus, log, pick, sleep, sumCounts, summary, timed, treePssMb, waitFor } from './common.ts'
import type { ChurnInput, Get, MinuteDiagnosis, Put, TabFigures } from './churn-report.ts'
import type { HostStats, PeerHost } from './peer-hosts.ts'

/** A put this often; gets at most this often (one at a time). */
const PUT_EVERY_MS = 2000
const GET_EVERY_MS = 250
/** A put or get not done in this long counts as failed. */
const OP_TIMEOUT_MS = 30_000
/** A tab has joined when it has this many open channels and contacts. */
const JOINED = { peers: 1, contacts: 3 }
const JOIN_TIMEOUT_MS = 180_000
/** Node peers start this many at a time (spread over the hosts), then get this long to join. */
const PEER_START_BATCH = 10
const PEER_JOIN_MS = 25_000
/** After the measured period: idle this long, then the final get of every value. */
const SETTLE_MS = 10_000
const RETRY_MS = 2000
/** Final gets running at once. */
const FINAL_GETS = 4

export interface Options {
  tabs: number
  nodePeers: number
  minutes: number
  churn: number
  k: number
  peerBudget: number
  peersPerHost: number
  json: boolean
}

interface Tab {
  context: BrowserContext
  page: Page
  /** Set once `close` began: operations failing after it are aborted, not failed. */
  closing: boolean
}

/** Which group a process's CPU time counts under, by its command line. */
function processGroup(cmdline: string): string {
  if (cmdline === 'self') return 'bench'
  if (cmdline.includes('peer-host.ts')) return 'peerHosts'
  if (cmdline.includes('server.ts')) return 'server'
  if (cmdline.includes('--type=renderer')) return 'renderers'
  if (cmdline.includes('chrom')) return 'browser'
  return 'other'
}

/** The Node peers' counts summed over the hosts: their totals, and drops as "dropped <reason>". */
const peerCountsOf = (hosts: HostStats[]): Record<string, number> =>
  sumCounts(hosts.map((h) => ({ ...h.totals, ...Object.fromEntries(Object.entries(h.dropped).map(([reason, n]) => [`dropped ${reason}`, n])) })))
const avg = (values: number[]): number => (values.length === 0 ? 0 : Number((values.reduce((a, b) => a + b, 0) / values.length).toFixed(1)))
const errorOf = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)))

export class ChurnRun {
  readonly live: Tab[] = []
  readonly peers: { id: string; host: PeerHost }[] = []
  /** Figures of tabs read just before they closed. */
  readonly retiredTabs: TabFigures[] = []
  readonly puts: Put[] = []
  readonly gets: Get[] = []
  readonly churned = { tabs: 0, nodePeers: 0, crashed: 0, graceful: 0, slowJoins: 0, failed: 0 }
  readonly churnByMinute: number[] = []
  readonly minutes: MinuteDiagnosis[] = []
  readonly pageErrors: string[] = []
  /** From opening a tab to its having joined (warm-up and churn), ms. */
  readonly joinMs: number[] = []
  rendererCrashes = 0
  getsAborted = 0
  putsAborted = 0
  peakPssMb = 0
  warmupS = 0
  t0 = 0
  running = true
  failure: Error | undefined
  readonly #started = Date.now()
  readonly #pendingChurn = new Set<Promise<void>>()
  readonly #cpu = new CpuMeter(processGroup)
  #lastPeerCounts: Record<string, number> = {}
  readonly #startsSeen = new Map<PeerHost, number>()
  #nextHost = 0

  constructor(
    readonly o: Options,
    readonly browser: Browser,
    readonly hosts: PeerHost[],
    readonly url: string,
  ) {}

  minute(at = Date.now()): number {
    return Math.max(0, Math.floor((at - this.t0) / 60_000))
  }

  /** Throws the first fatal error (a peer host exited). */
  check(): void {
    const crashed = this.hosts.find((host) => host.crashed !== undefined)
    if (crashed !== undefined) this.failure ??= crashed.crashed
    if (this.failure !== undefined) throw this.failure
  }

  /** Node peers first, in batches, with time to join; then the tabs, until each has joined. */
  async warmUp(): Promise<void> {
    if (this.o.nodePeers > 0) {
      log(`starting ${this.o.nodePeers} Node peers in ${this.hosts.length} host processes`)
      for (let started = 0; started < this.o.nodePeers; started += PEER_START_BATCH) {
        await Promise.all(Array.from({ length: Math.min(PEER_START_BATCH, this.o.nodePeers - started) }, () => this.#startPeer()))
        this.check()
      }
      await sleep(PEER_JOIN_MS)
      const peers = (await this.hostStats()).flatMap((h) => h.peers)
      log(`Node peers after ${PEER_JOIN_MS / 1000} s: ${peers.filter((p) => p.contacts >= JOINED.contacts).length}/${peers.length} with ≥ ${JOINED.contacts} contacts`)
    }
    log(`opening ${this.o.tabs} tabs at ${this.url}, one context each, one after the other as each joins`)
    for (let i = 0; i < this.o.tabs; i++) {
      const opened = Date.now()
      const tab = await this.#openTab()
      if (!(await this.#joined(tab))) {
        const figures = await this.#tabFigures(tab)
        throw new Error(`tab ${i + 1} did not join within ${JOIN_TIMEOUT_MS / 1000} s: ${JSON.stringify(figures)}`)
      }
      this.joinMs.push(Date.now() - opened)
      this.live.push(tab)
    }
    this.warmupS = (Date.now() - this.#started) / 1000
    log(`all tabs joined after ${Math.round(this.warmupS)} s of warm-up; measuring for ${this.o.minutes} min, ${this.o.churn} churn events a minute`)
  }

  /** The measured period: puts, gets and churn, with a progress line every minute. */
  async measure(): Promise<void> {
    this.t0 = Date.now()
    this.#cpu.sample()
    this.#lastPeerCounts = peerCountsOf(await this.hostStats())
    const end = this.t0 + this.o.minutes * 60_000
    const loops = Promise.all([this.#putLoop(), this.#getLoop(), this.#churnLoop(end), this.#memoryLoop()])
    try {
      for (let minute = 1; minute <= Math.ceil(this.o.minutes); minute++) {
        const at = Math.min(end, this.t0 + minute * 60_000)
        while (Date.now() < at) {
          await sleep(Math.min(1000, at - Date.now()))
          this.check()
        }
        await this.#progress(minute)
      }
    } finally {
      this.running = false
      await loops
    }
    await this.#settleChurn()
    this.check()
  }

  /** Settles, gets every value once more, and gathers everything the report needs. */
  async finish(): Promise<Omit<ChurnInput, 'options' | 'hostCount'>> {
    log(`settling ${SETTLE_MS / 1000} s, then a final get of all ${this.puts.filter((p) => p.error === undefined).length} values`)
    await sleep(SETTLE_MS)
    const final = await this.#finalCheck()
    const liveTabs = (await Promise.all(this.live.map((tab) => this.#tabFigures(tab)))).filter((f): f is TabFigures => f !== undefined)
    return {
      churned: this.churned,
      churnByMinute: this.churnByMinute,
      minutes: this.minutes,
      puts: this.puts,
      putsAborted: this.putsAborted,
      gets: this.gets,
      getsAborted: this.getsAborted,
      checked: final.checked,
      lostKeys: final.lost,
      tabs: [...this.retiredTabs, ...liveTabs],
      hosts: await this.hostStats(),
      peerStartMs: this.hosts.flatMap((h) => h.startMs),
      tabJoinMs: this.joinMs,
      pageErrors: this.pageErrors,
      rendererCrashes: this.rendererCrashes,
      peakPssMb: this.peakPssMb,
      warmupS: this.warmupS,
      wallS: (Date.now() - this.#started) / 1000,
    }
  }

  async hostStats(): Promise<HostStats[]> {
    return Promise.all(this.hosts.map((host) => host.stats()))
  }

  async #startPeer(host = this.hosts[this.#nextHost++ % this.hosts.length]!): Promise<void> {
    this.peers.push({ id: await host.startPeer(), host })
  }

  /** Opens a tab in its own context; it counts as live once it has joined. */
  async #openTab(): Promise<Tab> {
    const context = await newContext(this.browser)
    const page = await context.newPage()
    page.on('pageerror', (error) => this.pageErrors.push(error.message))
    page.on('crash', () => this.rendererCrashes++)
    await page.goto(this.url)
    await hook.ready(page)
    return { context, page, closing: false }
  }

  async #joined(tab: Tab): Promise<boolean> {
    try {
      await waitFor('the tab to join', JOIN_TIMEOUT_MS, async () => {
        const status = await hook.status(tab.page)
        return status.peers >= JOINED.peers && status.contacts >= JOINED.contacts
      })
      return true
    } catch {
      return false
    }
  }

  async #tabFigures(tab: Tab): Promise<TabFigures | undefined> {
    try {
      const [status, counters] = await timed(Promise.all([hook.status(tab.page), hook.counters(tab.page)]), 10_000)
      return { status, closed: counters.transport.closed, dropped: counters.transport.dropped }
    } catch {
      return undefined
    }
  }

  /** One churn event: a random live node (tab or Node peer) leaves and a new one of its kind comes. */
  #churnOnce(): void {
    const index = Math.floor(Math.random() * (this.live.length + this.peers.length))
    // Never the last live tab: someone has to put and get.
    const tab = index < this.live.length && this.live.length > 1 ? this.live[index] : undefined
    if (tab === undefined && this.peers.length === 0) return
    const minute = this.minute()
    this.churnByMinute[minute] = (this.churnByMinute[minute] ?? 0) + 1
    const step = tab !== undefined ? this.#replaceTab(tab) : this.#replacePeer(pick(this.peers))
    // A failed step (a host slow to answer, a tab that would not open) is counted and reported;
    // only a host that exited stops the run (check()).
    const done: Promise<void> = step
      .catch((error: unknown) => {
        this.churned.failed++
        log(`  churn step failed: ${errorOf(error).message}`)
      })
      .finally(() => this.#pendingChurn.delete(done))
    this.#pendingChurn.add(done)
  }

  async #replaceTab(tab: Tab): Promise<void> {
    this.live.splice(this.live.indexOf(tab), 1)
    const figures = await this.#tabFigures(tab)
    if (figures !== undefined) this.retiredTabs.push(figures)
    tab.closing = true
    await tab.page.close()
    await tab.context.close()
    this.churned.tabs++
    const opened = Date.now()
    const fresh = await this.#openTab()
    if (await this.#joined(fresh)) this.joinMs.push(Date.now() - opened)
    else {
      this.churned.slowJoins++
      log(`  a new tab did not join within ${JOIN_TIMEOUT_MS / 1000} s; it is used all the same: ${JSON.stringify(await this.#tabFigures(fresh))}`)
    }
    this.live.push(fresh)
  }

  /** Alternately a graceful stop and a crash; the new peer starts on the same host. */
  async #replacePeer(peer: { id: string; host: PeerHost }): Promise<void> {
    this.peers.splice(this.peers.indexOf(peer), 1)
    const crash = this.churned.nodePeers % 2 === 1
    this.churned.nodePeers++
    if (crash) this.churned.crashed++
    else this.churned.graceful++
    await peer.host.stopPeer(peer.id, crash)
    await this.#startPeer(peer.host)
  }

  async #settleChurn(): Promise<void> {
    while (this.#pendingChurn.size > 0) await Promise.all([...this.#pendingChurn])
  }

  /** A put every PUT_EVERY_MS, whether or not the ones before have finished (at most 8 at once). */
  async #putLoop(): Promise<void> {
    const inFlight = new Set<Promise<void>>()
    for (let i = 0; this.running; i++) {
      const started = Date.now()
      if (inFlight.size < 8) {
        const put: Promise<void> = this.#putOne(i).finally(() => inFlight.delete(put))
        inFlight.add(put)
      }
      await sleep(Math.max(0, PUT_EVERY_MS - (Date.now() - started)))
    }
    await Promise.all([...inFlight])
  }

  async #putOne(i: number): Promise<void> {
    const started = Date.now()
    const tab = pick(this.live)
    const name = `churn/${i}`
    const value = `value ${i} ${Math.random().toString(36).slice(2)}${'x'.repeat(Math.floor(Math.random() * 64))}`
    try {
      const result = await timed(hook.put(tab.page, name, value), OP_TIMEOUT_MS)
      this.puts.push({ name, value, at: Date.now(), minute: this.minute(started), ms: result.ms, lookupMs: result.lookupMs, failures: result.failures, holders: result.holders })
    } catch (error) {
      if (tab.closing) this.putsAborted++
      else this.puts.push({ name, value, at: Date.now(), minute: this.minute(started), error: errorOf(error).message })
    }
  }

  async #getLoop(): Promise<void> {
    while (this.running) {
      const started = Date.now()
      const stored = this.puts.filter((put) => put.error === undefined)
      if (stored.length > 0) await this.#getOne(pick(stored), started)
      await sleep(Math.max(0, GET_EVERY_MS - (Date.now() - started)))
    }
  }

  async #getOne(put: Put, started: number): Promise<void> {
    const tab = pick(this.live)
    try {
      const result = await timed(hook.get(tab.page, put.name), OP_TIMEOUT_MS)
      const ok = result.value === put.value
      this.gets.push({ minute: this.minute(started), ok, ms: result.ms, rounds: result.rounds, failures: result.failures ?? 0, slowRequests: result.slowRequests ?? 0, local: result.local === true })
      if (!ok && this.gets.filter((g) => !g.ok).length <= 20) {
        const what = result.value === undefined ? 'found nothing' : 'found another value'
        log(`  get of ${put.name} (put ${Math.round((started - put.at) / 1000)} s ago, ${put.holders} holders) ${what} after ${Math.round(result.ms)} ms, ${result.rounds} rounds, ${result.messages} requests`)
      }
    } catch (error) {
      if (tab.closing) this.getsAborted++
      else {
        this.gets.push({ minute: this.minute(started), ok: false, error: errorOf(error).message })
        if (this.gets.filter((g) => !g.ok).length <= 20) log(`  get of ${put.name} failed: ${errorOf(error).message}`)
      }
    }
  }

  async #churnLoop(end: number): Promise<void> {
    if (this.o.churn === 0) return
    const every = 60_000 / this.o.churn
    for (let at = this.t0 + every / 2; at < end && this.running; at += every) {
      await sleep(at - Date.now())
      if (this.running) this.#churnOnce()
    }
  }

  async #memoryLoop(): Promise<void> {
    while (this.running) {
      this.peakPssMb = Math.max(this.peakPssMb, treePssMb())
      await sleep(15_000)
    }
  }

  /** The progress line of a minute, and its diagnosis for the report. */
  async #progress(minute: number): Promise<void> {
    const gets = this.gets.filter((g) => g.minute === minute - 1)
    const ok = gets.filter((g) => g.ok).length
    const getMs = summary(gets.flatMap((g) => (g.ms === undefined ? [] : [g.ms])))
    const statuses = (await Promise.all(this.live.map((tab) => timed(hook.status(tab.page), 10_000).catch(() => undefined)))).filter((s): s is HookStatus => s !== undefined)
    const hosts = await this.hostStats()
    const peerChannels = hosts.flatMap((h) => h.peers.map((p) => p.connections))
    const startMs = this.hosts.flatMap((h) => h.startMs.slice(this.#startsSeen.get(h) ?? 0))
    for (const host of this.hosts) this.#startsSeen.set(host, host.startMs.length)
    const peerCounts = peerCountsOf(hosts)
    const pss = treePssMb()
    this.peakPssMb = Math.max(this.peakPssMb, pss)
    const diagnosis: MinuteDiagnosis = {
      minute,
      getMs,
      cpuCores: this.#cpu.sample(),
      load1: Number(loadavg()[0]!.toFixed(1)),
      tabChannels: avg(statuses.map((s) => s.peers)),
      tabContacts: avg(statuses.map((s) => s.contacts)),
      tabCreatedMax: Math.max(0, ...statuses.map((s) => s.connectionsCreated)),
      nodePeers: peerChannels.length,
      peerChannels: avg(peerChannels),
      hostLoopDelayMaxMs: Math.max(0, ...hosts.map((h) => h.loopDelayMs.max)),
      hostLoopDelayP99Ms: Math.max(0, ...hosts.map((h) => h.loopDelayMs.p99)),
      peerStartMsMax: Math.max(0, ...startMs),
      peerCounts: Object.fromEntries(Object.entries(peerCounts).map(([name, n]) => [name, n - (this.#lastPeerCounts[name] ?? 0)]).filter(([, n]) => Number(n) > 0)),
      hostRssMb: hosts.map((h) => h.rssMb),
      treePssMb: Math.round(pss),
    }
    this.#lastPeerCounts = peerCounts
    this.minutes.push(diagnosis)
    const cpu = Object.entries(diagnosis.cpuCores).map(([group, cores]) => `${group} ${cores}`).join(', ')
    log(
      `minute ${minute}: gets ${ok}/${gets.length} ok (p50 ${getMs.p50} ms, p99 ${getMs.p99} ms), puts ${this.puts.filter((p) => p.minute === minute - 1).length}, churned ${this.churnByMinute[minute - 1] ?? 0}` +
        ` | tabs ${statuses.length}: channels ${diagnosis.tabChannels}, contacts ${diagnosis.tabContacts}, created max ${diagnosis.tabCreatedMax}` +
        ` | node peers ${diagnosis.nodePeers}: channels ${diagnosis.peerChannels}, host loop delay max ${diagnosis.hostLoopDelayMaxMs} ms, start max ${diagnosis.peerStartMsMax} ms, RSS ${diagnosis.hostRssMb.join('/')} MB` +
        ` | CPU cores: ${cpu}; load ${diagnosis.load1}; PSS ${(pss / 1024).toFixed(1)} GB`,
    )
  }

  /**
   * One get of every value put, from a random live tab, retried once after RETRY_MS; FINAL_GETS
   * values at a time, so that an overloaded network (30 s timeouts) cannot stretch it for hours.
   */
  async #finalCheck(): Promise<{ checked: number; lost: ChurnInput['lostKeys'] }> {
    const lost: ChurnInput['lostKeys'] = []
    const stored = this.puts.filter((put) => put.error === undefined)
    const started = Date.now()
    let next = 0
    const worker = async (): Promise<void> => {
      for (let i = next++; i < stored.length; i = next++) {
        const put = stored[i]!
        if ((i + 1) % 50 === 0) log(`  final get ${i + 1}/${stored.length} after ${Math.round((Date.now() - started) / 1000)} s, ${lost.length} not found so far`)
        let found = false
        for (let attempt = 0; attempt < 2 && !found; attempt++) {
          if (attempt > 0) await sleep(RETRY_MS)
          const result = await timed(hook.get(pick(this.live).page, put.name), OP_TIMEOUT_MS).catch(() => undefined)
          found = result?.value === put.value
        }
        if (found) continue
        const holding = await Promise.all(this.live.map((tab) => hook.holds(tab.page, put.name).catch(() => false)))
        lost.push({ name: put.name, ageS: Math.round((Date.now() - put.at) / 1000), holdersAtPut: put.holders ?? 0, liveTabsHolding: holding.filter(Boolean).length })
      }
    }
    await Promise.all(Array.from({ length: FINAL_GETS }, worker))
    log(`final gets done in ${Math.round((Date.now() - started) / 1000)} s`)
    return { checked: stored.length, lost }
  }
}
