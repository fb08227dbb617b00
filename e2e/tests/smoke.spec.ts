import { type Browser, type BrowserContext, expect, type Page, test } from '@playwright/test'
import { expectPeers, holdsKey, keyHexOf, newContext, openTab, peerCount } from './support.ts'

/**
 * Three tabs in two browser contexts (two "users"): they join one overlay, a value put in one
 * tab is read in the others, a reload keeps the node ID and the records, and bad input gets a
 * clear message. Every page runs with `loopback=1`: only 127.0.0.1 ICE candidates.
 */
test.describe('the web app', () => {
  let contexts: BrowserContext[] = []
  let tabs: Page[] = []

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    contexts = [await newContext(browser), await newContext(browser)]
    tabs = [await openTab(contexts[0]!), await openTab(contexts[0]!), await openTab(contexts[1]!)]
  })

  test.afterAll(async () => {
    for (const context of contexts) await context.close()
  })

  test('every tab connects to at least one peer and shows it', async () => {
    for (const tab of tabs) {
      await expect(tab.getByTestId('signaling-status')).toHaveText('connected')
      await expect.poll(() => peerCount(tab), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
      await expect(tab.getByTestId('peer-list').locator('tbody tr[data-state="open"]').first()).toBeVisible()
      await expect(tab.getByTestId('routing-table').locator('li[data-bucket]').first()).toBeVisible()
    }
  })

  test('a value put in one tab is read through the UI in the others', async () => {
    const [writer, ...readers] = tabs
    await writer!.getByLabel('Key', { exact: true }).fill('greeting')
    await writer!.getByLabel('Value', { exact: true }).fill('hello from tab one ✓')
    await writer!.getByRole('button', { name: 'Put', exact: true }).click()
    await expect(writer!.getByTestId('result-summary')).toContainText('Stored “greeting”')
    await expect(writer!.getByTestId('record-count')).toHaveText('1')

    for (const reader of readers) {
      await reader.getByLabel('Key', { exact: true }).fill('greeting')
      await reader.getByRole('button', { name: 'Get', exact: true }).click()
      await expect(reader.getByTestId('get-value')).toHaveText('hello from tab one ✓')
      await expect(reader.getByTestId('result-summary')).toContainText('Found “greeting”')
      await expect(reader.getByTestId('lookup-trace')).toContainText('Rounds')
    }
  })

  test('a name nobody stored is reported as not found', async () => {
    const tab = tabs[2]!
    await tab.getByLabel('Key', { exact: true }).fill('nobody-stored-this')
    await tab.getByRole('button', { name: 'Get', exact: true }).click()
    await expect(tab.getByRole('alert').filter({ hasText: 'Not found' })).toBeVisible()
  })

  test('a reload keeps the node ID and the records', async () => {
    const tab = tabs[0]!
    const id = await tab.getByTestId('node-id').textContent()
    const records = await tab.getByTestId('record-count').textContent()
    expect(Number(records)).toBeGreaterThanOrEqual(1)
    await tab.reload()
    await expect(tab.locator('body[data-ready="true"]')).toBeAttached()
    await expect(tab.getByTestId('node-id')).toHaveText(id!)
    await expect(tab.getByTestId('record-count')).toHaveText(records!)
    await expect.poll(() => peerCount(tab), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    await expect(tab.getByTestId('record-list').locator('tbody tr')).toContainText(['greeting'])
  })

  test('an empty key and an oversized value get clear messages', async () => {
    const tab = tabs[1]!
    await tab.getByLabel('Key', { exact: true }).fill('   ')
    await tab.getByRole('button', { name: 'Put', exact: true }).click()
    await expect(tab.getByTestId('op-error')).toContainText('Type a key first')
    await expect(tab.getByLabel('Key', { exact: true })).toHaveAttribute('aria-invalid', 'true')

    await tab.getByLabel('Key', { exact: true }).fill('big')
    await tab.getByLabel('Value', { exact: true }).fill('x'.repeat(64 * 1024 + 1))
    await tab.getByRole('button', { name: 'Put', exact: true }).click()
    await expect(tab.getByTestId('op-error')).toContainText('The value is too large: 65,537 bytes')
    await expect(tab.getByTestId('op-error')).toContainText('The limit is 65,536 bytes (64 KiB)')
  })

  test('a tab adopts the records of a closed tab of the same browser, then deletes its database', async () => {
    const [closing, staying] = [tabs[0]!, tabs[1]!]
    const closedId = (await closing.getByTestId('node-id').textContent())!
    await closing.close()
    // The closed tab was seen seconds ago; pretend it was long ago, so the grace period is over.
    await staying.evaluate((id) => localStorage.setItem(`browser-dht:seen:${id}`, '0'), closedId)
    const newcomer = await openTab(contexts[0]!)
    tabs[0] = newcomer
    await expect(newcomer.getByTestId('activity-log')).toContainText('Adopted 1 record(s) from 1 closed tab(s)', { timeout: 30_000 })
    const databases = await newcomer.evaluate(async () => (await indexedDB.databases()).map((db) => db.name))
    expect(databases).not.toContain(`browser-dht-node-${closedId}`)
    await newcomer.getByLabel('Key', { exact: true }).fill('greeting')
    await newcomer.getByRole('button', { name: 'Get', exact: true }).click()
    await expect(newcomer.getByTestId('get-value')).toHaveText('hello from tab one ✓')
  })
})

test.describe('lookups across tabs (k = 1: one holder per key)', () => {
  let context: BrowserContext | undefined

  test.afterAll(async () => context?.close())

  test('a tab that does not hold a value finds it through a multi-peer lookup', async ({ browser }: { browser: Browser }) => {
    context = await browser.newContext({ permissions: ['microphone'], viewport: { width: 1280, height: 900 } })
    const pages: Page[] = []
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage()
      await page.goto('/?loopback=1&k=1')
      await expect(page.locator('body[data-ready="true"]')).toBeAttached()
      pages.push(page)
    }
    await expectPeers(pages, 2)
    await pages[0]!.getByLabel('Key', { exact: true }).fill('alice')
    await pages[0]!.getByLabel('Value', { exact: true }).fill('Alice’s note: the DHT works across tabs.')
    await pages[0]!.getByRole('button', { name: 'Put', exact: true }).click()
    await expect(pages[0]!.getByTestId('result-summary')).toContainText(/Stored “alice” .* on 1 node/)

    // A holder hands the record on to a tab closer to the key once it hears of one: wait until
    // where it is held has not changed for 3 s, then read from a tab that holds no copy.
    const keyHex = keyHexOf('alice')
    let held = ''
    let since = Date.now()
    await expect
      .poll(
        async () => {
          const now = (await Promise.all(pages.map((page) => holdsKey(page, keyHex)))).join()
          if (now !== held) [held, since] = [now, Date.now()]
          return Date.now() - since
        },
        { timeout: 30_000, intervals: [250] },
      )
      .toBeGreaterThanOrEqual(3_000)
    const reader = (await Promise.all(pages.map(async (page) => ((await holdsKey(page, keyHex)) ? undefined : page)))).find((page) => page !== undefined)
    expect(reader, 'with k = 1 some tab holds no copy').toBeDefined()
    await reader!.getByLabel('Key', { exact: true }).fill('alice')
    await reader!.getByRole('button', { name: 'Get', exact: true }).click()
    await expect(reader!.getByTestId('get-value')).toHaveText('Alice’s note: the DHT works across tabs.')
    await expect(reader!.getByTestId('result-summary')).toContainText('at node')
    await expect(reader!.getByTestId('trace-rounds')).not.toHaveText('0')
    await expect(reader!.getByTestId('trace-peers-asked')).not.toHaveText('0')
    await reader!.screenshot({ path: '/tmp/web-app.png', fullPage: true })
  })
})

test.describe('when things are wrong', () => {
  test('an unreachable server and ignored settings are said in plain words', async ({ browser }: { browser: Browser }) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    // Port 9 on 127.0.0.1: nothing listens there, so the connection is refused at once.
    await page.goto('/?loopback=1&k=0&signal=ws://127.0.0.1:9/signal')
    await expect(page.getByTestId('settings-warnings')).toContainText('The setting k=0 was ignored')
    await expect(page.getByTestId('signaling-status')).toHaveText('unreachable')
    await expect(page.getByTestId('connection-message')).toContainText('The signaling server at ws://127.0.0.1:9/signal is unreachable')
    await page.getByLabel('Key', { exact: true }).fill('anything')
    await page.getByRole('button', { name: 'Put', exact: true }).click()
    await expect(page.getByTestId('op-error')).toContainText('No peers yet')
    await expect(page.getByTestId('op-error')).toContainText('is unreachable too')
    await context.close()
  })
})
