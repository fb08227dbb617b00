/**
 * One process, one origin: serves the built web app (dist/) and the signaling server at /signal,
 * plus /healthz, and runs one Node peer that enters through it, so the network is never empty.
 * Usage: node --conditions=source --import tsx apps/web/server.ts [--port 8080] [--host 127.0.0.1] [--origin URL]… [--tunable name=value]… [--help]
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createLogger, NodePeer } from '@browser-dht/node-peer'
import { isDhtError } from '@browser-dht/kademlia'
import { createSignalingServer, hardenHttpServer, normalizeOrigins, parseTunableAssignments, resolveTunables, type Tunables } from '@browser-dht/signaling-server'
import { serveStatic } from './server/static-files.ts'

const HELP = `Serves the browser-dht web app and its signaling server on one address.

  --port <n>         port to listen on (default 8080; 0 picks a free one)
  --host <addr>      address to listen on (default 127.0.0.1)
  --peer-data <dir>  where the built-in Node peer keeps its identity and records (default .dht-node)
  --peer-k <n>       that peer's k (default 20: use the k of the tabs' URL, e.g. 3 with ?k=3)
  --no-peer          run no Node peer
  --loopback         the Node peer uses only 127.0.0.1 ICE candidates (tests; tabs: ?loopback=1)
  --origin <url>     a browser origin allowed to use the signaling server (repeatable), e.g.
                     https://dht.example.org: list the origin the app is served from; a
                     WebSocket handshake from another origin gets 403 (none listed: any origin;
                     a client that sends no Origin, like a Node peer, is always let through)
  --tunable <name=value>  a bound of the signaling server (repeatable; names and defaults in
                     packages/signaling-server/src/options.ts), e.g. --tunable trustProxy=true
                     behind a reverse proxy, --tunable maxSocketsPerAddress=64 for a big NAT
  --help             this text

The app is read from apps/web/dist: build it first (npm start does).`

interface ServerOptions {
  port: number
  host: string
  peer: { data: string; k: number; loopback: boolean } | undefined
  tunables: Partial<Tunables>
  origins: string[] | undefined
}

function options(): ServerOptions {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'peer-data': { type: 'string', default: '.dht-node' },
      'peer-k': { type: 'string', default: '20' },
      'no-peer': { type: 'boolean' },
      loopback: { type: 'boolean' },
      tunable: { type: 'string', multiple: true },
      origin: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  })
  if (values.help === true) {
    console.log(HELP)
    process.exit(0)
  }
  const port = Number(values.port)
  if (!/^\d+$/.test(values.port) || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, not "${values.port}".`)
    process.exit(2)
  }
  const k = Number(values['peer-k'])
  if (!/^\d+$/.test(values['peer-k']) || k < 1 || k > 64) {
    console.error(`--peer-k must be a whole number from 1 to 64, not "${values['peer-k']}".`)
    process.exit(2)
  }
  const peer = values['no-peer'] === true ? undefined : { data: values['peer-data'], k, loopback: values.loopback === true }
  return { port, host: values.host, peer, tunables: tunablesOf(values.tunable ?? []), origins: originsOf(values.origin) }
}

function originsOf(origins: readonly string[] | undefined): string[] | undefined {
  if (origins === undefined) return undefined
  try {
    return normalizeOrigins(origins)
  } catch (error) {
    if (!isDhtError(error, 'ERR_INVALID_OPTION')) throw error
    console.error(`--origin: ${error.message}.`)
    process.exit(2)
  }
}

/** The `--tunable` overrides, checked against the signaling server's bounds (exit code 2 if bad). */
function tunablesOf(assignments: readonly string[]): Partial<Tunables> {
  try {
    const tunables = parseTunableAssignments(assignments)
    resolveTunables(tunables)
    return tunables
  } catch (error) {
    if (!isDhtError(error, 'ERR_INVALID_OPTION')) throw error
    console.error(`--tunable: ${error.message}.`)
    process.exit(2)
  }
}

async function main(): Promise<void> {
  const { port, host, peer: peerOptions, tunables, origins } = options()
  const root = join(dirname(fileURLToPath(import.meta.url)), 'dist')
  if (!existsSync(join(root, 'index.html'))) {
    console.error(`No built app in ${root}. Run: npx --yes pnpm@10.34.8 --filter @browser-dht/web build`)
    process.exit(1)
  }
  const http = createServer()
  // Header and request timeouts and the TCP connection cap of the signaling server, for every
  // request this server answers (static files included).
  hardenHttpServer(http, tunables)
  const signaling = await createSignalingServer({ server: http, path: '/signal', ...tunables, ...(origins === undefined ? {} : { origins }) })
  http.on('request', (request, response) => {
    if (signaling.handleRequest(request, response)) return
    serveStatic(root, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  http.on('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (try --port)` : error.message
    console.error(`Cannot start the server: ${why}.`)
    process.exit(1)
  })
  http.listen(port, host, () => {
    const address = http.address()
    const actual = typeof address === 'object' && address !== null ? address.port : port
    const shown = host.includes(':') ? `[${host}]` : host
    console.log(`browser-dht web app: http://${shown}:${actual}/  (signaling at ws://${shown}:${actual}/signal, health at /healthz)`)
    console.log('Open it in two or more tabs. Stop with Ctrl+C.')
    if (peerOptions !== undefined) void startPeer(`ws://${shown}:${actual}/signal`)
  })
  let peer: NodePeer | undefined
  const startPeer = async (url: string): Promise<void> => {
    try {
      peer = await NodePeer.start({ dataDir: peerOptions!.data, signals: [url], k: peerOptions!.k, budget: 32, loopback: peerOptions!.loopback, log: createLogger() })
      console.log(`A Node peer (${peer.id.slice(0, 8)}…, records in ${peerOptions!.data}) is in the network, so it is never empty.`)
    } catch (error) {
      console.error(`The built-in Node peer could not start: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const stop = (): void => {
    void Promise.resolve(peer?.stop())
      .then(() => signaling.close())
      .finally(() => http.close(() => process.exit(0)))
    http.closeAllConnections()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

void main()
