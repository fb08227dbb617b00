/**
 * The page's entry: read the settings from the URL, open this tab's node, wire the view.
 */
import { DEFAULTS } from '@browser-dht/kademlia'
import { DEFAULTS as TRANSPORT_DEFAULTS } from '@browser-dht/webrtc-transport'
import { TabNode } from './dht/tab-node.ts'
import { defaultSignalUrl, parseSettings } from './settings.ts'
import { installHook } from './test-hook.ts'
import { KeyValueForm } from './ui/form.ts'
import { logLine, PageView } from './ui/view.ts'
import './style.css'

const RENDER_INTERVAL_MS = 1000

async function main(): Promise<void> {
  const { settings, warnings } = parseSettings(location.search, {
    signals: [defaultSignalUrl(location)],
    k: DEFAULTS.k,
    alpha: DEFAULTS.alpha,
    loopback: false,
    replicate: DEFAULTS.replicateIntervalMs / 1000,
    republish: DEFAULTS.republishIntervalMs / 1000,
    refresh: DEFAULTS.refreshIntervalMs / 1000,
    budget: TRANSPORT_DEFAULTS.maxConnections,
    paths: DEFAULTS.disjointPaths,
  })
  const view = new PageView(settings.signals.join(' and '))
  view.showWarnings(warnings)
  const page: { tab?: TabNode } = {}
  let scheduled = false
  const render = (): void => {
    if (scheduled) return
    scheduled = true
    setTimeout(() => {
      scheduled = false
      if (page.tab !== undefined) view.render(page.tab)
    }, 50)
  }
  const tab = await TabNode.open(settings, { changed: render, log: logLine })
  page.tab = tab
  installHook(tab)
  addEventListener('pagehide', () => tab.leave())
  new KeyValueForm(tab, view)
  view.render(tab)
  document.body.dataset.ready = 'true'
  setInterval(() => view.render(tab), RENDER_INTERVAL_MS)
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  try {
    new PageView('').showFatal(`This tab could not start its node: ${message}. It needs IndexedDB, Web Locks and WebRTC.`)
  } catch {
    document.body.textContent = `This tab could not start its node: ${message}`
  }
})
