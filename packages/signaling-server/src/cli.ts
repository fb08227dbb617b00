#!/usr/bin/env node
/**
 * Runs the signaling server: `node --conditions=source --import tsx packages/signaling-server/src/cli.ts [--port N]
 * [--host H] [--path P] [--origin URL]… [--tunable name=value]…`. Logs one line per connect, disconnect and error; GET /healthz answers
 * with the client count, GET /metrics with Prometheus' text format. Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { isDhtError } from '@browser-dht/kademlia'
import { DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT, DEFAULTS, parseTunableAssignments, resolveTunables, type Tunables } from './options.ts'
import { normalizeOrigins } from './server/origins.ts'
import { createSignalingServer } from './server/server.ts'

const HELP = `Usage: node --conditions=source --import tsx packages/signaling-server/src/cli.ts [options]

The WebSocket signaling server of browser-dht: registers node IDs (ed25519 challenge),
introduces them to registered peers and relays WebRTC signals between registered peers.

Options:
  --port <n>    TCP port (0 picks a free one)           default ${DEFAULT_PORT}
  --host <addr> address to listen on                    default ${DEFAULT_HOST}
  --path <p>    WebSocket endpoint path                 default ${DEFAULT_PATH}
  --origin <url> a browser origin allowed to connect, e.g. https://dht.example.org
                (repeatable); with any, a handshake whose Origin is not listed gets 403
                (one without Origin, e.g. a Node peer, is let through)   default: any
  --tunable <name=value>  set any bound of packages/signaling-server/src/options.ts
                (repeatable), e.g. --tunable maxClients=500 --tunable idPuzzleBits=0
  --help        show this help

Bounds (see packages/signaling-server/src/options.ts): ${DEFAULTS.maxClients} clients, ${DEFAULTS.maxSocketsPerAddress} per address
and ${DEFAULTS.maxSocketsPerNetwork} per /24 (IPv6: /48), ${DEFAULTS.registrationsPerMinutePerAddress} registrations a minute per address and ${DEFAULTS.registrationsPerMinutePerNetwork} per
/24; ${DEFAULTS.maxFrameBytes} B frames, ${DEFAULTS.maxSignalBytes} B signals, ${DEFAULTS.rateBurst} frames burst / ${DEFAULTS.ratePerSecond} per s; heartbeat every
${DEFAULTS.heartbeatIntervalMs / 1000} s; IDs must solve the ID puzzle of ${DEFAULTS.idPuzzleBits} bits. Behind a reverse proxy, use
--tunable trustProxy=true (the client's address is then the last X-Forwarded-For entry).
GET /healthz answers 200 {"ok":true,"clients":N,"registered":M}; GET /metrics, Prometheus' text
format (packages/signaling-server/README.md, "Metrics").
`

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`)
  process.exit(2)
}

/** The `--tunable` overrides, checked against the bounds now so a bad one exits with code 2. */
function parseTunables(assignments: readonly string[]): Partial<Tunables> {
  try {
    const tunables = parseTunableAssignments(assignments)
    resolveTunables(tunables)
    return tunables
  } catch (error) {
    if (isDhtError(error, 'ERR_INVALID_OPTION')) fail(`--tunable: ${error.message}`)
    throw error
  }
}

function parseOrigins(origins: readonly string[] | undefined): string[] | undefined {
  if (origins === undefined) return undefined
  try {
    return normalizeOrigins(origins)
  } catch (error) {
    fail(`--origin: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65_535) fail(`--port must be an integer from 0 to 65535, got ${JSON.stringify(text)}`)
  return port
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        origin: { type: 'string', multiple: true },
        tunable: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    })
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  const { values } = parsed
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const path = values.path ?? DEFAULT_PATH
  if (!path.startsWith('/')) fail('--path must start with /')
  const tunables = parseTunables(values.tunable ?? [])
  const origins = parseOrigins(values.origin)
  const server = await createSignalingServer({ ...tunables, port: parsePort(values.port), host: values.host ?? DEFAULT_HOST, path, ...(origins === undefined ? {} : { origins }) })
  const address = server.httpServer.address()
  const port = address !== null && typeof address !== 'string' ? address.port : '?'
  console.log(`${new Date().toISOString()} listening ${server.url()} (healthz: http://${values.host ?? DEFAULT_HOST}:${port}/healthz)`)
  const stop = (signal: string) => {
    console.log(`${new Date().toISOString()} ${signal}: closing`)
    void server.close().then(() => process.exit(0))
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

main().catch((error: unknown) => {
  process.stderr.write(`signaling server failed: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
