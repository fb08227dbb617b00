import { defineConfig } from '@playwright/test'
import { ONE_ADDRESS_TUNABLES } from './tests/one-address.ts'

/**
 * Starts the one-process server (built app + signaling) on a test port on 127.0.0.1 and drives
 * the system Chromium. Only 127.0.0.1 ICE candidates are used (`loopback=1` in the tests' URLs,
 * plus the flags and microphone permission from docs: no mDNS names, no other interfaces).
 */
const PORT = Number(process.env.E2E_PORT ?? 8391)

export default defineConfig({
  testDir: './tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    permissions: ['microphone'],
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--allow-loopback-in-peer-connection',
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `node ../scripts/pnpm.mjs --filter @browser-dht/web run build && node --conditions=source --import tsx ../apps/web/server.ts --port ${PORT} --host 127.0.0.1 --no-peer ${ONE_ADDRESS_TUNABLES.join(' ')}`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
})
