import { type Browser, expect, test } from '@playwright/test'
import { appUrl, expectGetViaUi, expectPeers, type Network, openNetwork, putViaUi, type SignalingProcess, startSignalingServer } from './support.ts'

/**
 * The signaling server only introduces tabs: once they have joined, put and get run peer to peer.
 * Six tabs in two contexts join through a signaling server of their own (a separate process on
 * its own 127.0.0.1 port, `?signal=`); the process is stopped, and a value put in one tab is
 * still read in all the others.
 */
const TABS = 6

test.describe('without the signaling server', () => {
  let server: SignalingProcess | undefined
  let net: Network | undefined

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    server = await startSignalingServer()
    net = await openNetwork(browser, { tabs: TABS, contexts: 2, url: appUrl({ signal: server.url }) })
  })

  test.afterAll(async () => {
    await net?.close()
    await server?.stop()
  })

  test('put and get among joined tabs still work after the server is stopped', async () => {
    const tabs = net!.tabs
    for (const tab of tabs) {
      await expect(tab.getByTestId('signaling-status')).toHaveText('connected')
      await expect(tab.getByTestId('activity-log')).toContainText('In the network')
    }
    await expectPeers(tabs)

    await server!.stop()
    for (const tab of tabs) await expect(tab.getByTestId('signaling-status')).toHaveText('unreachable')

    await putViaUi(tabs[0]!, 'no-server', 'peer to peer only')
    for (const tab of tabs.slice(1)) await expectGetViaUi(tab, 'no-server', 'peer to peer only')
    // And the other way round: a tab of the second context writes, the first tab reads.
    await putViaUi(tabs[3]!, 'no-server-2', 'from the other context')
    await expectGetViaUi(tabs[0]!, 'no-server-2', 'from the other context')
  })
})
