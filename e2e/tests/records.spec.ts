import { createHash } from 'node:crypto'
import { type Browser, expect, type Page, test } from '@playwright/test'
import { expectPeers, openNetwork, type Network, putViaUi } from './support.ts'

/**
 * Signed records in real tabs: every tab's value under a name is its own (signed with its key),
 * readers see them all, only the publisher changes or removes its value, and a reloaded tab
 * republishes the very record it signed.
 */
test.describe('values that prove who published them', () => {
  let net: Network
  let alice: Page
  let bob: Page
  let carol: Page

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    net = await openNetwork(browser, { tabs: 3, contexts: 2 })
    ;[alice, bob, carol] = net.tabs as [Page, Page, Page]
    await expectPeers(net.tabs)
  })

  test.afterAll(async () => net.close())

  /** Gets `name` in `page` and returns the values table's rows as text. */
  async function valuesSeenBy(page: Page, name: string): Promise<string[]> {
    await page.getByLabel('Key', { exact: true }).fill(name)
    await page.getByRole('button', { name: 'Get', exact: true }).click()
    await expect(page.getByTestId('result-summary')).toContainText(`Found “${name}”`)
    return page.getByTestId('get-values').locator('tbody tr').allTextContents()
  }

  test('two tabs publish under the same name and a third sees both, each with its signature checked', async () => {
    await putViaUi(alice, 'shared', 'from Alice')
    await putViaUi(bob, 'shared', 'from Bob')
    await expect.poll(() => valuesSeenBy(carol, 'shared'), { timeout: 15_000 }).toEqual([expect.stringContaining('from'), expect.stringContaining('from')])
    const rows = await valuesSeenBy(carol, 'shared')
    expect(rows.some((row) => row.includes('from Alice'))).toBe(true)
    expect(rows.some((row) => row.includes('from Bob'))).toBe(true)
    for (const row of rows) expect(row).toContain('signature checked')
    // In the publisher's own tab, its value is marked as this tab's.
    const own = await valuesSeenBy(alice, 'shared')
    expect(own.find((row) => row.includes('from Alice'))).toContain('this tab')
    await carol.getByTestId('result').screenshot({ path: '/tmp/web-records.png' })
  })

  test('a tab updates its value and the others see the new one, beside the other publisher’s', async () => {
    await putViaUi(alice, 'shared', 'from Alice, updated')
    await expect
      .poll(async () => (await valuesSeenBy(carol, 'shared')).join(' | '), { timeout: 15_000 })
      .toMatch(/from Alice, updated/)
    const rows = await valuesSeenBy(carol, 'shared')
    expect(rows).toHaveLength(2)
    expect(rows.some((row) => row.includes('from Bob'))).toBe(true)
  })

  test('a tab removes only its own value: the other publisher’s stays', async () => {
    await bob.getByLabel('Key', { exact: true }).fill('shared')
    await bob.getByRole('button', { name: 'Remove mine', exact: true }).click()
    await expect(bob.getByTestId('result-summary')).toContainText('Removed this tab’s value under “shared”')
    await expect.poll(async () => valuesSeenBy(carol, 'shared'), { timeout: 15_000 }).toEqual([expect.stringContaining('from Alice, updated')])
  })

  test('an immutable value is stored under the hash of its content, and that key gets it back in another tab', async () => {
    await alice.getByLabel('Value', { exact: true }).fill('carved in stone')
    await alice.getByRole('button', { name: 'Put immutable', exact: true }).click()
    await expect(alice.getByTestId('result-summary')).toContainText('Stored an immutable value')
    const key = await alice.getByLabel('Key', { exact: true }).inputValue()
    // BEP 44: the key is the SHA-1 of the value's bencoding, "15:carved in stone".
    expect(key).toBe(`#${createHash('sha1').update('15:carved in stone').digest('hex')}`)
    await carol.getByLabel('Key', { exact: true }).fill(key)
    await carol.getByRole('button', { name: 'Get', exact: true }).click()
    await expect(carol.getByTestId('get-value')).toHaveText('carved in stone')
    await expect(carol.getByTestId('result-summary')).toContainText('its content matches its key')
    await carol.screenshot({ path: '/tmp/web-records-page.png', fullPage: true })
  })

  test('a reloaded tab proves and republishes the very record it signed', async () => {
    const before = await valuesSeenBy(carol, 'shared')
    await alice.reload()
    await expect(alice.locator('body[data-ready="true"]')).toBeAttached()
    await expect(alice.getByTestId('activity-log')).toContainText('Announced this tab\'s 2 published record(s) again.', { timeout: 30_000 })
    // The same value with the same version: republished unchanged, not signed again.
    expect(await valuesSeenBy(carol, 'shared')).toEqual(before)
  })
})
