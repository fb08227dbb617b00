/**
 * `createSignalingServer`: the HTTP side of the signaling server. It either creates, hardens
 * (`http-hardening.ts`) and listens on its own `http.Server` (answering `GET /healthz` and
 * `GET /metrics` and refusing everything else), or attaches to one the caller owns (taking only WebSocket upgrades
 * on `path`), so one process can serve the web app and the signaling endpoint on one URL. Before
 * an upgrade it checks the Origin allowlist (`origins.ts`) and works out the client's address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { cryptoRandom, type Random } from '@browser-dht/kademlia'
import { WebSocketServer } from 'ws'
import { DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT, resolveTunables, type Tunables } from '../options.ts'
import { formatMetrics, type MetricFamily, METRICS_CONTENT_TYPE } from '../prometheus.ts'
import { clientAddressOf } from './address.ts'
import { hardenHttpServer } from './http-hardening.ts'
import { Hub } from './hub.ts'
import { type Log, stdoutLog } from './log.ts'
import { signalingMetrics } from './metrics.ts'
import { originCheck } from './origins.ts'

export interface SignalingServerOptions extends Partial<Tunables> {
  /**
   * An HTTP server to attach to. The signaling server then handles only upgrades on `path`,
   * leaves other upgrades and all requests to the owner (route `GET /healthz` and `GET /metrics`
   * to `handleRequest`), and does not listen or close it: the owner also calls `hardenHttpServer`
   * on it, with the same options, before it listens. Default: create one (hardened) and listen.
   */
  readonly server?: Server
  /** Port of the server it creates (0 picks a free one). Default 8787. */
  readonly port?: number
  /** Address of the server it creates. Default 127.0.0.1. */
  readonly host?: string
  /** The WebSocket endpoint's path. Default `/signal`. */
  readonly path?: string
  /** Receives one line per connect, disconnect and error. Default: stdout with a timestamp. */
  readonly log?: Log
  /**
   * Browser origins allowed to connect (`https://example.org`). A handshake whose Origin header
   * is present and not listed is refused with HTTP 403 before any WebSocket exists; one without
   * an Origin header (Node peers, other non-browser clients) is allowed: Origin only keeps other
   * web pages from using the server, a non-browser client can send any Origin. Default: no list,
   * every origin allowed.
   */
  readonly origins?: readonly string[]
  /** Nonces and peer sampling. Default: `crypto.getRandomValues`. */
  readonly random?: Random
  /** Milliseconds clock of the rate limiters and of registration ages (introductions). Default `performance.now`. */
  readonly now?: () => number
  /** More families for `/metrics` after the server's own (a Node peer's process adds its peers'). Default none. */
  readonly moreMetrics?: () => MetricFamily[]
}

export interface SignalingServer {
  /** The HTTP server it created or attached to. */
  readonly httpServer: Server
  /** Where clients connect, e.g. `ws://127.0.0.1:8787/signal` (uses the listening address). */
  url(): string
  /** Open connections and registered IDs. */
  stats(): { clients: number; registered: number }
  /** Now: the open connections and registered IDs; since the start: registrations, relayed signals, error frames by code. */
  metrics(): MetricFamily[]
  /**
   * Answers `GET /healthz` (200, JSON) and `GET /metrics` (200, Prometheus text; HEAD too) and
   * returns true; returns false for any other request.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean
  /** Closes every connection (1001), stops the heartbeat, and closes the HTTP server if it made it. */
  close(): Promise<void>
}

export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const tunables = resolveTunables(pickTunables(options))
  const path = options.path ?? DEFAULT_PATH
  const originAllowed = originCheck(options.origins)
  const log = options.log ?? stdoutLog
  const hub = new Hub({ tunables, random: options.random ?? cryptoRandom(), now: options.now ?? (() => performance.now()), log })
  const wss = new WebSocketServer({ noServer: true, maxPayload: tunables.maxPayloadBytes, perMessageDeflate: false })
  const owned = options.server === undefined
  const httpServer = options.server ?? createServer()

  const stats = () => ({ clients: hub.clients, registered: hub.registry.size })
  const metrics = (): MetricFamily[] => [...signalingMetrics(hub.counters, stats()), ...(options.moreMetrics?.() ?? [])]
  const handleRequest = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false
    const path = pathOf(request.url)
    if (path === '/healthz') return answer(response, 'application/json', JSON.stringify({ ok: true, ...stats() }))
    if (path === '/metrics') return answer(response, METRICS_CONTENT_TYPE, formatMetrics(metrics()))
    return false
  }
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    if (handleRequest(request, response)) return
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found\n')
  }
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(request.url) !== path) {
      if (owned) refuseUpgrade(socket, '404 Not Found')
      return
    }
    const origin = request.headers.origin
    if (!originAllowed(origin)) {
      log(`error upgrade 403 origin=${JSON.stringify(origin?.slice(0, 100))} remote=${remoteOf(request)}`)
      return refuseUpgrade(socket, '403 Forbidden')
    }
    const address = clientAddressOf(request, tunables.trustProxy)
    wss.handleUpgrade(request, socket, head, (ws) => hub.accept(ws, address, remoteOf(request)))
  }

  httpServer.on('upgrade', onUpgrade)
  if (owned) {
    hardenHttpServer(httpServer, { ...tunables, log })
    httpServer.on('request', onRequest)
    await listen(httpServer, options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST)
  }
  const heartbeat = setInterval(() => hub.heartbeat(), tunables.heartbeatIntervalMs)
  heartbeat.unref()

  let closing: Promise<void> | undefined
  return {
    httpServer,
    url: () => urlOf(httpServer, path),
    stats,
    metrics,
    handleRequest,
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat)
        httpServer.off('upgrade', onUpgrade)
        await hub.closeAll()
        for (const socket of wss.clients) socket.terminate() // sockets refused on arrival (server full, per-address caps)
        wss.close()
        if (!owned) return
        httpServer.off('request', onRequest)
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve())
          httpServer.closeAllConnections()
        })
      })()
      return closing
    },
  }
}

function pickTunables(options: SignalingServerOptions): Partial<Tunables> {
  const { server: _server, port: _port, host: _host, path: _path, origins: _origins, log: _log, random: _random, now: _now, ...tunables } = options
  return tunables
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** 200 with `body` (Node leaves the body out for HEAD), never cached: it is a reading of now. */
function answer(response: ServerResponse, contentType: string, body: string): true {
  response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
  response.end(body)
  return true
}

/** The path of a request target, or undefined if it is not a parsable URL path. */
function pathOf(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on('error', () => {})
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function remoteOf(request: IncomingMessage): string {
  const { remoteAddress, remotePort } = request.socket
  return `${remoteAddress ?? '?'}:${remotePort ?? '?'}`
}

function urlOf(server: Server, path: string): string {
  const address = server.address()
  if (address === null || typeof address === 'string') return `ws+unix://${address ?? ''}:${path}`
  return `ws://${hostOf(address)}:${address.port}${path}`
}

function hostOf(address: AddressInfo): string {
  if (address.family === 'IPv6') return address.address === '::' ? '[::1]' : `[${address.address}]`
  return address.address === '0.0.0.0' ? '127.0.0.1' : address.address
}
