/**
 * The overlay stands on its own (issue 4), in real Chromium tabs and Node peers, 127.0.0.1 only:
 * a connection budget, signaling through the overlay after the server is gone, churn, several
 * signaling servers, and Node peers that keep records when every tab has closed.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
import { appUrl, hook, newContext, type NodePeerProcess, openTab, type SignalingProcess, startNodePeer, startSignalingServer } from './support.ts'

/** A small deterministic generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)]!
}

/** Waits until the tab has at least `min` open connections and `contacts` routing-table contacts. */
async function expectJoined(page: Page, min = 1, contacts = 1): Promise<void> {
  await expect.poll(async () => (await hook.status(page)).peers, { timeout: 30_000 }).toBeGreaterThanOrEqual(min)
  await expect.poll(async () => (await hook.status(page)).contacts, { timeout: 30_000 }).toBeGreaterThanOrEqual(contacts)
}

/** A get that may need the overlay a moment to settle: polled until it finds the value. */
async function expectFound(page: Page, name: string, value: string): Promise<void> {
  await expect.poll(async () => (await hook.get(page, name)).value, { timeout: 30_000 }).toBe(value)
}

const stopAll = async (items: readonly { stop(): Promise<void> }[]): Promise<void> => {
  await Promise.all(items.map((item) => item.stop()))
}

test.describe('the overlay on its own', () => {
  test('24 tabs with a budget of 6: never more than 6 connections, and 200 gets all succeed', async ({ browser }) => {
    test.setTimeout(300_000)
    const contexts: BrowserContext[] = []
    for (let i = 0; i < 4; i++) contexts.push(await newContext(browser))
    try {
      const url = appUrl({ budget: 6, k: 3 })
      const tabs: Page[] = []
      for (let i = 0; i < 24; i++) tabs.push(await openTab(contexts[i % contexts.length]!, url))
      for (const tab of tabs) await expectJoined(tab, 1, 3)
      const next = random(24)
      const names = Array.from({ length: 20 }, (_, i) => `budget key ${i}`)
      for (const name of names) expect((await hook.put(pick(tabs, next), name, `value of ${name}`)).holders).toBeGreaterThan(0)
      let found = 0
      for (let i = 0; i < 200; i++) {
        const name = pick(names, next)
        if ((await hook.get(pick(tabs, next), name)).value === `value of ${name}`) found++
      }
      expect(found).toBe(200)
      const statuses = await Promise.all(tabs.map((tab) => hook.status(tab)))
      for (const status of statuses) {
        expect(status.budget).toBe(6)
        expect(status.peakConnections).toBeLessThanOrEqual(6)
      }
      // Everything beyond each tab's few connections went through relays and overlay signaling.
      expect(statuses.reduce((sum, s) => sum + s.signalsViaOverlay, 0)).toBeGreaterThan(0)
    } finally {
      for (const context of contexts) await context.close()
    }
  })

  test('after the signaling server stops, a new tab enters through a Node peer and fills its connections through the overlay', async ({ browser }) => {
    test.setTimeout(180_000)
    const server = await startSignalingServer()
    const processes: { stop(): Promise<void> }[] = [server]
    const context = await newContext(browser)
    try {
      const peer = await startNodePeer({ signals: [server.url], endpoint: true })
      processes.push(peer)
      const url = appUrl({ signal: server.url })
      const tabs: Page[] = []
      for (let i = 0; i < 6; i++) tabs.push(await openTab(context, url))
      for (const tab of tabs) await expectJoined(tab, 1, 3)
      await hook.put(tabs[0]!, 'before the server stopped', 'still here')
      await server.stop()

      // A new tab whose only way in is the Node peer's own endpoint: the only peer it is named is
      // the Node peer. Every other connection it makes is signaled through the overlay, with the
      // tabs' signaling server gone.
      const late = await openTab(context, appUrl({ signal: peer.url! }))
      await expectJoined(late, 1, 1)
      await expect.poll(async () => (await hook.status(late)).peers, { timeout: 30_000 }).toBeGreaterThanOrEqual(4)
      await expect.poll(async () => (await hook.status(late)).contacts, { timeout: 30_000 }).toBeGreaterThanOrEqual(6)
      const after = await hook.status(late)
      expect(after.signalsViaOverlay).toBeGreaterThan(0)
      // Through the endpoint went only the signals of its first connection (offer, answer, a few candidates).
      expect(after.signalsViaServer).toBeLessThanOrEqual(12)
      await expectFound(late, 'before the server stopped', 'still here')
      // The tabs that were there see the newcomer through connections they did not signal through any server.
      await expect.poll(async () => (await Promise.all(tabs.map((tab) => hook.status(tab)))).some((s) => s.openPeers.includes(after.id)), { timeout: 30_000 }).toBe(true)
    } finally {
      await context.close()
      await stopAll(processes)
    }
  })

  test('k = 3 under churn, 20 tabs replaced one every 4 s: all 50 values stay readable, each on at least 3 live holders', async ({ browser }) => {
    test.setTimeout(420_000)
    const url = appUrl({ k: 3 })
    // One context per tab, closed with it: a new tab cannot adopt a closed tab's database, so
    // only replication keeps the values alive.
    const live: { context: BrowserContext; page: Page }[] = []
    const open = async (): Promise<void> => {
      const context = await newContext(browser)
      live.push({ context, page: await openTab(context, url) })
    }
    try {
      for (let i = 0; i < 10; i++) await open()
      for (const { page } of live) await expectJoined(page, 1, 3)
      const next = random(3)
      const names = Array.from({ length: 50 }, (_, i) => `churn key ${i}`)
      for (const name of names) await hook.put(pick(live, next).page, name, `value of ${name}`)

      // A number of replacements, not a time: a slow machine takes longer to open each tab.
      for (let churned = 0; churned < 20; churned++) {
        const gone = live.splice(Math.floor(next() * live.length), 1)[0]!
        await gone.page.close()
        await gone.context.close()
        await open()
        await new Promise((resolve) => setTimeout(resolve, 4000))
      }
      const pages = live.map(({ page }) => page)
      for (const page of pages) await expectJoined(page, 1, 3)
      for (const name of names) {
        await expectFound(pick(pages, next), name, `value of ${name}`)
        await expect
          .poll(async () => (await Promise.all(pages.map((page) => hook.holds(page, name)))).filter(Boolean).length, { timeout: 30_000 })
          .toBeGreaterThanOrEqual(3)
      }
    } finally {
      for (const { context } of live) await context.close()
    }
  })

  test('two signaling servers with disjoint tabs and one Node peer on both: a put on one side is found on the other', async ({ browser }) => {
    test.setTimeout(180_000)
    const servers: SignalingProcess[] = [await startSignalingServer(), await startSignalingServer()]
    const processes: { stop(): Promise<void> }[] = [...servers]
    const contexts = [await newContext(browser), await newContext(browser)]
    try {
      const bridge = await startNodePeer({ signals: servers.map((server) => server.url) })
      processes.push(bridge)
      const sides = servers.map(() => [] as Page[])
      for (let i = 0; i < 6; i++) {
        const side = i % 2
        sides[side]!.push(await openTab(contexts[side]!, appUrl({ signal: servers[side]!.url })))
      }
      for (const tab of sides.flat()) await expectJoined(tab, 1, 1)
      await hook.put(sides[0]![0]!, 'from the left', 'left value')
      await hook.put(sides[1]![0]!, 'from the right', 'right value')
      await expectFound(sides[1]![2]!, 'from the left', 'left value')
      await expectFound(sides[0]![2]!, 'from the right', 'right value')
    } finally {
      for (const context of contexts) await context.close()
      await stopAll(processes)
    }
  })

  test('a record put by tabs that have all closed is served by a Node peer to a new tab', async ({ browser, baseURL }) => {
    test.setTimeout(180_000)
    let peer: NodePeerProcess | undefined
    const contexts: BrowserContext[] = []
    try {
      peer = await startNodePeer({ signals: [`${baseURL!.replace('http:', 'ws:')}/signal`] })
      const tabs: Page[] = []
      for (let i = 0; i < 3; i++) {
        contexts.push(await newContext(browser))
        tabs.push(await openTab(contexts[i]!, appUrl()))
      }
      for (const tab of tabs) await expectJoined(tab, 1, 3)
      // k = 20 with four nodes: the put reaches all of them, the Node peer included.
      await expect.poll(async () => (await hook.put(tabs[0]!, 'outlives its tabs', 'kept by the Node peer')).holders, { timeout: 30_000 }).toBe(4)
      for (const context of contexts.splice(0)) await context.close()

      contexts.push(await newContext(browser))
      const newcomer = await openTab(contexts[0]!, appUrl())
      await expectJoined(newcomer, 1, 1)
      await expectFound(newcomer, 'outlives its tabs', 'kept by the Node peer')
      // The Node peer is the only live node that had it: it answered, or handed it to the
      // newcomer when it joined (then the newcomer answers from its own store).
      const own = (await hook.status(newcomer)).id
      expect([peer.id, own]).toContain((await hook.get(newcomer, 'outlives its tabs')).from)
    } finally {
      for (const context of contexts) await context.close()
      await peer?.stop()
    }
  })
})
