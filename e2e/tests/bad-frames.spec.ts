import { type Browser, expect, test } from '@playwright/test'
import { expectGetViaUi, expectPeers, type Network, newContext, openNetwork, openTab, putViaUi } from './support.ts'

/**
 * Malformed and oversized frames sent to the signaling server (from a raw WebSocket in a page)
 * get error frames (or, above the payload limit, close 1009), and the server keeps serving the
 * tabs: they stay registered, a new tab still joins through it, and put/get between tabs work.
 * (Bad input in the form itself, an empty key and an oversized value, is in smoke.spec.ts.)
 */
test.describe('bad frames to the signaling server', () => {
  let net: Network

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    net = await openNetwork(browser, { tabs: 3, contexts: 2 })
  })

  test.afterAll(async () => {
    await net.close()
  })

  test('get error frames, and the server keeps serving the tabs', async ({ browser }: { browser: Browser }) => {
    await expectPeers(net.tabs)
    const attacker = net.tabs[2]!

    const codes = await attacker.evaluate(async () => {
      const socket = new WebSocket(`ws://${location.host}/signal`)
      const frames: { type: string; code?: string }[] = []
      let wake = (): void => undefined
      socket.onmessage = (event) => {
        frames.push(JSON.parse(String(event.data)) as { type: string; code?: string })
        wake()
      }
      const until = async (count: number): Promise<void> => {
        while (frames.length < count) await new Promise<void>((resolve) => (wake = resolve))
      }
      await until(1) // the challenge
      const bad: (string | Uint8Array)[] = [
        '{"type":',
        '[1,2,3]',
        '{"type":"hello"}',
        '{"type":"register","publicKey":"not-hex","signature":"00"}',
        '{"type":"peers"}',
        new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
        JSON.stringify({ type: 'peers', pad: 'x'.repeat(20 * 1024) }),
      ]
      for (const [i, frame] of bad.entries()) {
        socket.send(frame)
        await until(i + 2)
      }
      socket.close()
      return frames.map((frame) => `${frame.type}:${frame.code ?? ''}`)
    })
    expect(codes).toEqual([
      'challenge:',
      'error:ERR_MALFORMED_FRAME',
      'error:ERR_MALFORMED_FRAME',
      'error:ERR_UNKNOWN_FRAME_TYPE',
      'error:ERR_INVALID_FIELD',
      'error:ERR_NOT_REGISTERED',
      'error:ERR_BINARY_FRAME',
      'error:ERR_FRAME_TOO_LARGE',
    ])

    // Above the payload limit (64 KiB) the frame is not even buffered: close 1009.
    const closeCode = await attacker.evaluate(async () => {
      const socket = new WebSocket(`ws://${location.host}/signal`)
      await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }))
      const closed = new Promise<number>((resolve) => socket.addEventListener('close', (event) => resolve(event.code), { once: true }))
      socket.send('x'.repeat(100 * 1024))
      return closed
    })
    expect(closeCode).toBe(1009)

    // The server still serves: the tabs stay registered, and a new tab joins through it.
    const health = (await (await attacker.request.get('/healthz')).json()) as { ok: boolean; registered: number }
    expect(health.ok).toBe(true)
    expect(health.registered).toBeGreaterThanOrEqual(net.tabs.length)
    for (const tab of net.tabs) await expect(tab.getByTestId('signaling-status')).toHaveText('connected')
    const context = await newContext(browser)
    net.contexts.push(context)
    const newcomer = await openTab(context)
    await expectPeers([newcomer])

    await putViaUi(net.tabs[0]!, 'after-bad-frames', 'the server shrugged them off')
    for (const tab of [...net.tabs.slice(1), newcomer]) await expectGetViaUi(tab, 'after-bad-frames', 'the server shrugged them off')
  })
})
