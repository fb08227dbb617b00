import { type Browser, expect, type Page, test } from '@playwright/test'
import { appUrl, expectGetViaUi, expectPeers, holdersOf, keyHexOf, type Network, nodeId, openNetwork, putViaUi } from './support.ts'

/**
 * k = 3, replication every 2 s and republish every 3 s (URL settings): two of the three tabs
 * holding a key close; the value is still readable, the other tabs drop the closed peers from
 * their routing tables (their data channels closed), and replication brings the key back to
 * three holders. Holders are counted from each tab's records table.
 */
const TABS = 8
const K = 3

test.describe(`k = ${K}: losing two of three holders`, () => {
  let net: Network

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    net = await openNetwork(browser, { tabs: TABS, contexts: 2, url: appUrl({ k: K, replicate: 2, republish: 3 }) })
  })

  test.afterAll(async () => {
    await net.close()
  })

  test('the value stays readable and replication restores three holders', async () => {
    const name = 'replicated-key'
    const value = 'still here after two of its holders left'
    const key = keyHexOf(name)
    await expectPeers(net.tabs)
    const [writer] = net.tabs
    expect(await putViaUi(writer!, name, value)).toMatch(/on 3 node\(s\)/)
    await expect.poll(async () => (await holdersOf(net.tabs, key)).length).toBeGreaterThanOrEqual(K)

    // Close two holders, the writer last in line so that it keeps publishing if it holds a copy.
    const holders = await holdersOf(net.tabs, key)
    const closing = [...holders.filter((tab) => tab !== writer), ...holders.filter((tab) => tab === writer)].slice(0, 2)
    const closedIds = await Promise.all(closing.map(nodeId))
    for (const tab of closing) await tab.close()
    const remaining: Page[] = net.tabs.filter((tab) => !closing.includes(tab))
    expect(remaining).toHaveLength(TABS - 2)

    // Their channels closed: every remaining tab drops them from its routing table.
    for (const tab of remaining) {
      for (const id of closedIds) await expect(tab.getByTestId('routing-table').locator(`code[title="${id}"]`)).toHaveCount(0)
    }

    // Still readable, from a tab that holds no copy.
    const reader = (await Promise.all(remaining.map(async (tab) => ((await holdersOf([tab], key)).length === 0 ? tab : undefined)))).find(
      (tab) => tab !== undefined,
    )
    await expectGetViaUi(reader ?? remaining[0]!, name, value)

    // Replication (and the writer's republish) bring it back to k live holders.
    await expect.poll(async () => (await holdersOf(remaining, key)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(K)
  })
})
