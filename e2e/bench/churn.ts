/**
 * Churn benchmark: N tabs of the web app (headless Chromium, one browser context each) and M Node
 * peers (in peer-host.ts processes) form one overlay through the app server's signaling endpoint
 * (apps/web/server.ts --no-peer); R nodes a minute, picked uniformly among all live tabs and Node
 * peers, are replaced by new ones while a random tab puts a new value every 2 s (on schedule, even
 * while earlier puts still run) and random tabs get values whose put resolved, one at a time, at
 * most 4 a second.
 *
 *   npm run bench:churn -- [--tabs 16] [--node-peers 200] [--minutes 10] [--churn 6] [--k 20] [--json]
 *
 * A tab leaves by `page.close()` then `context.close()` (its IndexedDB goes with the context, so
 * nothing adopts its records); Node peers leave alternately by `peer.stop()` (BYE) and by a
 * silent crash (peer-host.ts). Prints get success per minute and overall, values lost (a final
 * get of every value put, from a random live tab, retried once after 2 s), connections per tab
 * (peak held at once, total created), lookup rounds and get latency. With --json the last line
 * is one JSON object. Progress goes to stderr, one line a minute.
 */
import type { Browser } from '@playwright/test'
import { launchChromium, log, numberOption, parseOptions, startServer, wholeOption } from './common.ts'
import { printReport } from './churn-report.ts'
import { ChurnRun, type Options } from './churn-run.ts'
import { PeerHost } from './peer-hosts.ts'

const HELP = `Usage: npm run bench:churn -- [--tabs 16] [--node-peers 200] [--minutes 10] [--churn 6] [--k 20] [--json]

  --tabs <n>            tabs in one headless Chromium, one browser context each, 2–64   default 16
  --node-peers <n>      Node peers, in ceil(n / peers-per-host) host processes, 0–2000   default 200
  --minutes <t>         measured minutes after the warm-up, 0.5–180                   default 10
  --churn <r>           nodes (tabs or Node peers) replaced per minute, 0–120            default 6
  --k <n>               bucket size and replication factor of every node, 1–64          default 20
  --peer-budget <n>     Node peers' connection budget, 2–200                             default 32
  --peers-per-host <n>  Node peers per host process, 1–400                               default 50
  --json                print one JSON object as the last line
The app must be built (the npm script does it).`

function options(): Options {
  const values = parseOptions(
    {
      tabs: { type: 'string', default: '16' },
      'node-peers': { type: 'string', default: '200' },
      minutes: { type: 'string', default: '10' },
      churn: { type: 'string', default: '6' },
      k: { type: 'string', default: '20' },
      'peer-budget': { type: 'string', default: '32' },
      'peers-per-host': { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
    HELP,
  )
  return {
    tabs: wholeOption('tabs', values.tabs, 2, 64, HELP),
    nodePeers: wholeOption('node-peers', values['node-peers'], 0, 2000, HELP),
    minutes: numberOption('minutes', values.minutes, 0.5, 180, HELP),
    churn: numberOption('churn', values.churn, 0, 120, HELP),
    k: wholeOption('k', values.k, 1, 64, HELP),
    peerBudget: wholeOption('peer-budget', values['peer-budget'], 2, 200, HELP),
    peersPerHost: wholeOption('peers-per-host', values['peers-per-host'], 1, 400, HELP),
    json: values.json,
  }
}

/** Everything running, so that one function can stop it all (on success, error or Ctrl+C). */
class Resources {
  browser: Browser | undefined
  server: { stop(): Promise<void> } | undefined
  hosts: PeerHost[] = []

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined)
    await Promise.allSettled(this.hosts.map((host) => host.close()))
    await this.server?.stop().catch(() => undefined)
  }
}

async function run(o: Options, resources: Resources): Promise<void> {
  const server = await startServer()
  resources.server = server
  log(`app server ${server.url} (signaling ${server.signalUrl}, no built-in Node peer)`)
  const hostCount = o.nodePeers === 0 ? 0 : Math.ceil(o.nodePeers / o.peersPerHost)
  for (let i = 0; i < hostCount; i++) resources.hosts.push(new PeerHost(`host ${i + 1}`, { signal: server.signalUrl, k: o.k, budget: o.peerBudget }))
  resources.browser = await launchChromium()
  const churn = new ChurnRun(o, resources.browser, resources.hosts, `${server.url}/?loopback=1&k=${o.k}`)
  await churn.warmUp()
  await churn.measure()
  printReport({ options: o, hostCount, ...(await churn.finish()) }, o.json)
}

async function main(): Promise<void> {
  const o = options()
  const resources = new Resources()
  let stopping = false
  const interrupt = (signal: string): void => {
    if (stopping) process.exit(130)
    stopping = true
    log(`${signal}: stopping the browser, the peer hosts and the server`)
    void resources.close().finally(() => process.exit(130))
  }
  process.on('SIGINT', () => interrupt('SIGINT'))
  process.on('SIGTERM', () => interrupt('SIGTERM'))
  try {
    await run(o, resources)
  } finally {
    await resources.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
