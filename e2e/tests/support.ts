/**
 * Helpers shared by the multi-tab specs: open tabs, drive the Put/Get form, read the page's
 * test hooks, and run a separate signaling server process. Every page runs with `loopback=1`:
 * only 127.0.0.1 ICE candidates.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test'
import type { HookOpResult, HookStatus } from '../../apps/web/src/hook-types.ts'
import { ONE_ADDRESS_TUNABLES } from './one-address.ts'
import { startProgram } from './process.ts'


/** The app's URL with `loopback=1` and the given settings. */
export function appUrl(settings: Record<string, string | number> = {}): string {
  const query = new URLSearchParams({ loopback: '1' })
  for (const [name, value] of Object.entries(settings)) query.set(name, String(value))
  return `/?${query.toString()}`
}

/** A browser context as the tests need it: the microphone grant exposes real host candidates. */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['microphone'] })
}

export async function openTab(context: BrowserContext, url = appUrl()): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`))
  await page.goto(url)
  await expect(page.locator('body[data-ready="true"]')).toBeAttached()
  await expect(page.getByTestId('node-id')).toHaveText(/^[0-9a-f]{40}$/)
  return page
}

export interface Network {
  contexts: BrowserContext[]
  tabs: Page[]
  close(): Promise<void>
}

/** Opens `tabs` tabs spread round-robin over `contexts` fresh browser contexts. */
export async function openNetwork(browser: Browser, options: { tabs: number; contexts: number; url?: string }): Promise<Network> {
  const contexts: BrowserContext[] = []
  for (let i = 0; i < options.contexts; i++) contexts.push(await newContext(browser))
  const tabs: Page[] = []
  for (let i = 0; i < options.tabs; i++) tabs.push(await openTab(contexts[i % contexts.length]!, options.url))
  return {
    contexts,
    tabs,
    async close() {
      for (const context of contexts) await context.close()
    },
  }
}

export async function nodeId(page: Page): Promise<string> {
  return (await page.getByTestId('node-id').textContent()) ?? ''
}

export async function peerCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('peer-count').textContent())
}

/** Waits until every tab shows at least `min` open peer connections. */
export async function expectPeers(tabs: readonly Page[], min = 1): Promise<void> {
  for (const tab of tabs) {
    await expect.poll(() => peerCount(tab), { timeout: 30_000 }).toBeGreaterThanOrEqual(min)
  }
}

/** Put through the UI: fill Key and Value, click Put, wait for the "Stored" summary. */
export async function putViaUi(page: Page, key: string, value: string): Promise<string> {
  await page.getByLabel('Key', { exact: true }).fill(key)
  await page.getByLabel('Value', { exact: true }).fill(value)
  await page.getByRole('button', { name: 'Put', exact: true }).click()
  const summary = page.getByTestId('result-summary')
  await expect(summary).toContainText(`Stored “${key}”`)
  return (await summary.textContent()) ?? ''
}

/** Get through the UI: fill Key, click Get, expect the value and the "Found" summary. */
export async function expectGetViaUi(page: Page, key: string, value: string): Promise<void> {
  await page.getByLabel('Key', { exact: true }).fill(key)
  await page.getByRole('button', { name: 'Get', exact: true }).click()
  await expect(page.getByTestId('get-value')).toHaveText(value)
  await expect(page.getByTestId('result-summary')).toContainText(`Found “${key}”`)
}

/** The DHT key of a name as the page shows it (SHA-1 of its UTF-8 bytes, hex). */
export function keyHexOf(name: string): string {
  return createHash('sha1').update(name, 'utf8').digest('hex')
}

/** Whether the page's records table lists the key (rows carry `data-key`). */
export async function holdsKey(page: Page, keyHex: string): Promise<boolean> {
  return (await page.getByTestId('record-list').locator(`tr[data-key="${keyHex}"]`).count()) > 0
}

/** The tabs whose records table lists the key. */
export async function holdersOf(tabs: readonly Page[], keyHex: string): Promise<Page[]> {
  const holding = await Promise.all(tabs.map((tab) => holdsKey(tab, keyHex)))
  return tabs.filter((_, i) => holding[i])
}

export interface SignalingProcess {
  /** ws://127.0.0.1:PORT/signal */
  url: string
  port: number
  /** Stops the process (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>
}

/**
 * Starts the signaling server CLI as its own process on a free 127.0.0.1 port and resolves once
 * it listens (it prints its URL).
 */
export async function startSignalingServer(): Promise<SignalingProcess> {
  const args = ['--port', '0', '--host', '127.0.0.1', ...ONE_ADDRESS_TUNABLES]
  const { match, stop } = await startProgram('packages/signaling-server/src/cli.ts', args, /listening (ws:\/\/127\.0\.0\.1:(\d+)\/signal)/)
  return { url: match[1]!, port: Number(match[2]), stop }
}

export interface NodePeerProcess {
  /** Its own signaling endpoint (ws://127.0.0.1:PORT/signal), when started with one. */
  url: string | undefined
  /** Its node ID (hex). */
  id: string
  stop(): Promise<void>
}

/**
 * Starts one Node peer (apps/node-peer CLI) on 127.0.0.1 with only loopback ICE candidates, a
 * fresh data directory, entering through `signals`, and with `endpoint` its own signaling endpoint.
 */
export async function startNodePeer(options: { signals?: readonly string[]; endpoint?: boolean; k?: number }): Promise<NodePeerProcess> {
  const data = await mkdtemp(join(tmpdir(), 'e2e-node-peer-'))
  const args = ['--loopback', '--data', data, '--k', String(options.k ?? 20)]
  if (options.endpoint === true) args.push('--port', '0', '--host', '127.0.0.1')
  for (const url of options.signals ?? []) args.push('--signal', url)
  const { match, stop } = await startProgram('apps/node-peer/src/cli.ts', args, / ready peers=1(?: endpoint=(\S+))?.* first=([0-9a-f]{40})/)
  return {
    url: match[1],
    id: match[2]!,
    async stop() {
      await stop()
      await rm(data, { recursive: true, force: true })
    },
  }
}

/** The page's test hook (`window.__dht`), driven from the test. */
export const hook = {
  status: (page: Page): Promise<HookStatus> => page.evaluate(() => window.__dht!.status()),
  put: (page: Page, name: string, value: string): Promise<HookOpResult> => page.evaluate(([n, v]) => window.__dht!.put(n!, v!), [name, value]),
  get: (page: Page, name: string): Promise<HookOpResult> => page.evaluate((n) => window.__dht!.get(n), name),
  holds: (page: Page, name: string): Promise<boolean> => page.evaluate((n) => window.__dht!.holds(n), name),
}
