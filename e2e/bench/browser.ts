/**
 * Browser benchmark: N tabs of the web app in one headless Chromium (loopback ICE only), driven
 * through the page's `window.__dht` hook (apps/web/src/test-hook.ts).
 *
 *   npm run bench:browser -- [--tabs 16] [--k 20] [--budget 32] [--paths 8] [--ops 500] [--json]
 *
 * Prints join time (navigation start to the first open data channel, and to a filled routing
 * table: min(N − 1, k) contacts), put and get latency over `--ops` puts and `--ops` gets from
 * random tabs (one at a time), lookup rounds and requests, the raw data-channel round trip of the
 * same run (200 transport probes, one PING frame and its PONG each, one at a time between random
 * connected tabs; the heartbeat's round trips and a DHT PING beside it for comparison), and memory
 * per tab (renderer PSS from /proc, and the JS heap from CDP Performance.getMetrics). With --json
 * the last line is one JSON object. The app server runs with `--no-peer`: tabs only, no Node peer.
 */
import type { Page } from '@playwright/test'
import { newContext } from '../tests/support.ts'
import { CpuMeter, hook, type HookOpResult, launchChromium, log, mean, parseOptions, pick, rendererPssMb, round, sleep, startServer, summary, waitFor, wholeOption } from './common.ts'

const HELP = `Usage: npm run bench:browser -- [--tabs 16] [--k 20] [--budget 32] [--paths 8] [--ops 500] [--json]

  --tabs <n>    tabs (DHT nodes) in one headless Chromium, 2–64        default 16
  --k <n>       bucket size and replication factor (the app's k setting) default 20
  --budget <n>  most WebRTC connections per tab (the app's budget setting, 2–200); below
                tabs − 1, requests to the tabs a tab has no channel to travel as relays
                                                                       default 32
  --paths <n>   disjoint paths per lookup (the app's paths setting, 1–16)  default 8
  --ops <n>     puts, then as many gets, each from a random tab         default 500
  --json      print one JSON object as the last line
The app must be built (the npm script does it).`

function options(): { tabs: number; k: number; budget: number; paths: number; ops: number; json: boolean } {
  const values = parseOptions(
    {
      tabs: { type: 'string', default: '16' },
      k: { type: 'string', default: '20' },
      budget: { type: 'string', default: '32' },
      paths: { type: 'string', default: '8' },
      ops: { type: 'string', default: '500' },
      json: { type: 'boolean', default: false },
    },
    HELP,
  )
  const int = (name: string, raw: string, min: number, max: number): number => wholeOption(name, raw, min, max, HELP)
  return {
    tabs: int('tabs', values.tabs, 2, 64),
    k: int('k', values.k, 1, 64),
    budget: int('budget', values.budget, 2, 200),
    paths: int('paths', values.paths, 1, 16),
    ops: int('ops', values.ops, 1, 100_000),
    json: values.json,
  }
}

async function main(): Promise<void> {
  const { tabs: n, k, budget, paths, ops, json } = options()
  const server = await startServer()
  const browser = await launchChromium()
  try {
    // Two contexts (two "users"), tabs alternating, as in the e2e tests.
    const contexts = [await newContext(browser), await newContext(browser)]
    const pages: Page[] = []
    const url = `${server.url}/?loopback=1&k=${k}&budget=${budget}&paths=${paths}`
    log(`opening ${n} tabs at ${url}`)
    for (let i = 0; i < n; i++) {
      const page = await contexts[i % 2]!.newPage()
      await page.goto(url)
      pages.push(page)
    }
    for (const page of pages) await hook.ready(page)

    // Join: navigation start to the first open channel and to a filled routing table.
    const filled = Math.min(n - 1, k)
    await waitFor(`every tab to hold ${filled} contacts`, 120_000, async () => {
      const statuses = await Promise.all(pages.map((page) => hook.status(page)))
      return statuses.every((s) => s.firstPeerAt !== undefined && s.tableSizeAt[filled] !== undefined)
    }).catch(async (error: unknown) => {
      // Say which tabs fell short and what their transports refused, before giving up.
      for (const [i, page] of pages.entries()) {
        const [s, c] = await Promise.all([hook.status(page), hook.counters(page)])
        const nonzero = (counts: Record<string, number>): string => JSON.stringify(Object.fromEntries(Object.entries(counts).filter(([, v]) => v > 0)))
        log(`tab ${i}: ${s.contacts} contacts, ${s.openPeers.length} open; dropped ${nonzero(c.transport.dropped)}; rejected ${nonzero(c.transport.relaysRejected)}`)
      }
      throw error
    })
    const joined = await Promise.all(pages.map((page) => hook.status(page)))
    // The first tab waits for a second one to exist; its join time says nothing of joining.
    const firstPeer = joined.slice(1).map((s) => s.firstPeerAt!)
    const filledAt = joined.slice(1).map((s) => s.tableSizeAt[filled]!)
    log(`all ${n} tabs joined; routing tables hold ${joined.map((s) => s.contacts).join(', ')} contacts`)

    // Puts, then gets of the stored names, each from a random tab, one at a time.
    const puts: HookOpResult[] = []
    const names: string[] = []
    for (let i = 0; i < ops; i++) {
      const name = `bench/${i}`
      const value = `value ${i} ${'x'.repeat(Math.floor(Math.random() * 100))}`
      puts.push(await hook.put(pick(pages), name, value))
      names.push(name)
    }
    log(`${ops} puts done`)
    // How many DHT messages (requests and answers) of the gets went as relays rather than on a
    // channel of their own: relays started per message sent, summed over every tab.
    const traffic = async (): Promise<{ relays: number; forwarded: number; messages: number }> => {
      const all = await Promise.all(pages.map((page) => hook.counters(page)))
      return {
        relays: all.reduce((sum, c) => sum + c.transport.relaysSent, 0),
        forwarded: all.reduce((sum, c) => sum + c.transport.relaysForwarded, 0),
        messages: all.reduce((sum, c) => sum + c.node.requestsSent + c.node.requestsServed, 0),
      }
    }
    const before = await traffic()
    const cpu = new CpuMeter((cmdline) => (cmdline.includes('--type=renderer') ? 'tabs' : 'rest'))
    const getsStarted = performance.now()
    const gets: HookOpResult[] = []
    let missing = 0
    for (let i = 0; i < ops; i++) {
      const result = await hook.get(pick(pages), pick(names))
      if (result.value === undefined) missing++
      gets.push(result)
    }
    const getCores = cpu.sample().tabs ?? 0
    const cpuMsPerGet = (getCores * (performance.now() - getsStarted)) / ops
    log(`${ops} gets done (${missing} not found)`)
    const after = await traffic()
    const relayedShare = after.messages > before.messages ? (after.relays - before.relays) / (after.messages - before.messages) : 0
    // Nodes a relay passed through on its way (0 when the first hop had a channel to the target).
    const forwardsPerRelay = after.relays > before.relays ? (after.forwarded - before.forwarded) / (after.relays - before.relays) : 0

    // Heartbeat round trips: idle long enough for every channel's heartbeat to ping once.
    cpu.sample()
    await sleep(12_000)
    const idleCores = cpu.sample().tabs ?? 0
    const idle = await Promise.all(pages.map((page) => hook.status(page)))
    const heartbeat = idle.flatMap((s) => s.heartbeatRttMs)
    const ids = idle.map((s) => s.id)

    // Raw data-channel round trip: transport probes (one PING frame, its PONG), one at a time,
    // each from a random tab to a random peer it has an open channel to.
    const probes: number[] = []
    const probeErrors: Record<string, number> = {}
    const probing = idle.flatMap((s, i) => (s.openPeers.length > 0 ? [i] : []))
    for (let i = 0; i < 200 && probing.length > 0; i++) {
      const from = pick(probing)
      const peer = pick(idle[from]!.openPeers)
      const outcome = await hook.probe(pages[from]!, peer)
      if ('ms' in outcome) probes.push(outcome.ms)
      else probeErrors[outcome.error] = (probeErrors[outcome.error] ?? 0) + 1
    }

    // DHT PINGs between random tabs; split by whether the two had a channel (else: relayed).
    const dhtPings: number[] = []
    const dhtPingsByWay = { direct: [] as number[], relayed: [] as number[] }
    for (let i = 0; i < 200; i++) {
      const from = Math.floor(Math.random() * n)
      const to = (from + 1 + Math.floor(Math.random() * (n - 1))) % n
      const ms = await hook.ping(pages[from]!, ids[to]!)
      if (ms === undefined) continue
      dhtPings.push(ms)
      dhtPingsByWay[idle[from]!.openPeers.includes(ids[to]!) ? 'direct' : 'relayed'].push(ms)
    }

    // Memory per tab.
    const heaps: number[] = []
    for (const page of pages) {
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Performance.enable')
      const { metrics } = await cdp.send('Performance.getMetrics')
      heaps.push((metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 2 ** 20)
      await cdp.detach()
    }
    const pss = rendererPssMb()

    const network = gets.filter((g) => g.local !== true && g.value !== undefined)
    const rounds = network.length > 0 ? mean(network.map((g) => g.rounds)) : 0
    const result = {
      tabs: n,
      k,
      budget,
      paths,
      ops,
      joinMs: summary(firstPeer),
      filledMs: summary(filledAt),
      filledContacts: filled,
      lastTabFilledMs: round(joined.at(-1)!.tableSizeAt[filled]!),
      putMs: summary(puts.map((p) => p.ms)),
      getMs: summary(gets.map((g) => g.ms)),
      getNetworkMs: network.length > 0 ? summary(network.map((g) => g.ms)) : null,
      localGets: round(gets.filter((g) => g.local === true).length / gets.length, 3),
      relayedShare: round(relayedShare, 3),
      forwardsPerRelay: round(forwardsPerRelay, 2),
      getsNotFound: missing,
      rounds: round(rounds),
      messages: network.length > 0 ? round(mean(network.map((g) => g.messages))) : 0,
      putRounds: round(mean(puts.map((p) => p.rounds))),
      putMessages: round(mean(puts.map((p) => p.messages))),
      putHolders: round(mean(puts.map((p) => p.holders))),
      rawRttMs: { ...summary(probes), samples: probes.length, failed: probeErrors },
      heartbeatRttMs: { ...summary(heartbeat), samples: heartbeat.length },
      dhtPingMs: { ...summary(dhtPings), samples: dhtPings.length },
      dhtPingDirectMs: { ...summary(dhtPingsByWay.direct), samples: dhtPingsByWay.direct.length },
      dhtPingRelayedMs: { ...summary(dhtPingsByWay.relayed), samples: dhtPingsByWay.relayed.length },
      mbPerTab: round(pss === undefined ? mean(heaps) : pss.mb / n, 1),
      rendererProcesses: pss?.processes ?? null,
      heapMbPerTab: round(mean(heaps), 1),
      tabCpuMsPerGet: round(cpuMsPerGet, 2),
      idleTabCores: round(idleCores, 2),
    }
    // The raw channel round trip: probes go one at a time, unlike heartbeat PINGs (all of a
    // tab's channels in one timer tick), and skip the RPC layer, unlike a DHT PING.
    const rtt = result.rawRttMs.p50
    const bound = 3 * Math.max(result.rounds, 1) * rtt
    const rows: [string, string][] = [
      ['tabs, k, budget, paths', `${n}, k = ${k}, budget ${budget} connections per tab, ${paths} disjoint paths per lookup`],
      ['join: load → first peer', `p50 ${result.joinMs.p50} ms, p99 ${result.joinMs.p99} ms (tabs 2–${n})`],
      [`join: load → ${filled} contacts`, `p50 ${result.filledMs.p50} ms, p99 ${result.filledMs.p99} ms; last tab opened ${result.lastTabFilledMs} ms`],
      [`put (${ops})`, `p50 ${result.putMs.p50} ms, p99 ${result.putMs.p99} ms; ${result.putRounds} rounds, ${result.putMessages} requests, ${result.putHolders} holders`],
      [`get (${ops})`, `p50 ${result.getMs.p50} ms, p99 ${result.getMs.p99} ms; ${Math.round(result.localGets * 100)} % answered locally, ${missing} not found`],
      ['get over the network', result.getNetworkMs === null ? 'none (every get was local)' : `p50 ${result.getNetworkMs.p50} ms, p99 ${result.getNetworkMs.p99} ms; ${result.rounds} rounds, ${result.messages} requests per lookup`],
      ['messages of the gets sent as relays', `${Math.round(result.relayedShare * 100)} % (relays started / requests and answers sent); ${result.forwardsPerRelay} forwards per relay`],
      ['raw channel round trip', `p50 ${result.rawRttMs.p50} ms, p99 ${result.rawRttMs.p99} ms (probes, ${probes.length} samples${Object.keys(probeErrors).length > 0 ? `, failed ${JSON.stringify(probeErrors)}` : ''})`],
      ['heartbeat, DHT PING', `heartbeat p50 ${result.heartbeatRttMs.p50} ms, p99 ${result.heartbeatRttMs.p99} ms (${heartbeat.length} samples); DHT PING p50 ${result.dhtPingMs.p50} ms, p99 ${result.dhtPingMs.p99} ms (with a channel p50 ${result.dhtPingDirectMs.p50} ms, relayed p50 ${result.dhtPingRelayedMs.p50} ms)`],
      ['tab CPU', `${result.tabCpuMsPerGet} ms of all renderers per get; idle, ${result.idleTabCores} cores for ${n} tabs`],
      ['memory per tab', `${result.mbPerTab} MB${pss === undefined ? ' JS heap' : ` renderer PSS (${pss.processes} renderers)`}, JS heap ${result.heapMbPerTab} MB`],
      ['goal get p50 ≤ 15 ms, p99 ≤ 100 ms', `${result.getMs.p50 <= 15 && result.getMs.p99 <= 100 ? 'met' : 'NOT met'}`],
      [`goal get p50 ≤ 3 × max(rounds,1) × raw rtt p50 (${round(rtt)} ms) = ${round(bound)} ms`, result.getMs.p50 <= bound ? 'met' : 'NOT met'],
    ]
    const width = Math.max(...rows.map(([label]) => label.length))
    for (const [label, text] of rows) console.log(`${label.padEnd(width)}  ${text}`)
    if (json) console.log(JSON.stringify(result))
  } finally {
    await browser.close()
    await server.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
