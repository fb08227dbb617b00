import { type Browser, expect, test } from '@playwright/test'
import { expectGetViaUi, expectPeers, keyHexOf, type Network, nodeId, openNetwork, peerCount, putViaUi } from './support.ts'

/**
 * Eight tabs in two browser contexts form one overlay (default k = 20): every tab joins, a value
 * put through the UI in tab 1 is read through the UI in all seven others, and a reloaded tab
 * keeps its node ID and its records (read back from IndexedDB) and rejoins.
 */
const TABS = 8

test.describe('eight tabs in two contexts', () => {
  let net: Network

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    net = await openNetwork(browser, { tabs: TABS, contexts: 2 })
  })

  test.afterAll(async () => {
    await net.close()
  })

  test('all tabs join and each shows at least one connected peer', async () => {
    expect(net.tabs).toHaveLength(TABS)
    expect(new Set(await Promise.all(net.tabs.map(nodeId))).size).toBe(TABS)
    for (const tab of net.tabs) {
      await expect(tab.getByTestId('signaling-status')).toHaveText('connected')
      await expect.poll(() => peerCount(tab), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
      await expect(tab.getByTestId('peer-list').locator('tbody tr[data-state="open"]').first()).toBeVisible()
      await expect(tab.getByTestId('routing-table').locator('li[data-bucket]').first()).toBeVisible()
    }
  })

  test('a value put in tab 1 through the UI is read through the UI in every other tab', async () => {
    const [writer, ...readers] = net.tabs
    await expectPeers(net.tabs)
    await putViaUi(writer!, 'eight-tabs', 'written in tab 1, read in tabs 2–8')
    for (const reader of readers) await expectGetViaUi(reader, 'eight-tabs', 'written in tab 1, read in tabs 2–8')
  })

  test('a reloaded tab keeps its node ID, loads its records from IndexedDB and rejoins', async () => {
    const tab = net.tabs[5]!
    const id = await nodeId(tab)
    const key = keyHexOf('eight-tabs')
    await expect(tab.getByTestId('record-list').locator(`tr[data-key="${key}"]`)).toHaveCount(1)
    const records = Number(await tab.getByTestId('record-count').textContent())

    await tab.reload()
    await expect(tab.locator('body[data-ready="true"]')).toBeAttached()
    await expect(tab.getByTestId('node-id')).toHaveText(id)
    await expect(tab.getByTestId('activity-log')).toContainText(`Loaded ${records} record(s) from IndexedDB.`)
    await expect(tab.getByTestId('record-list').locator(`tr[data-key="${key}"]`)).toHaveCount(1)
    const databases = await tab.evaluate(async () => (await indexedDB.databases()).map((db) => db.name))
    expect(databases).toContain(`browser-dht-node-${id}`)

    // It rejoins: peers again, and a value it puts now is read in a tab of the other context.
    await expect.poll(() => peerCount(tab), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    await expect(tab.getByTestId('activity-log')).toContainText('In the network')
    await putViaUi(tab, 'after-reload', 'put by the reloaded tab')
    await expectGetViaUi(net.tabs[0]!, 'after-reload', 'put by the reloaded tab')
  })
})
