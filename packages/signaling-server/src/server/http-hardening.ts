/**
 * The HTTP server's own limits, which no WebSocket code can enforce: how long a request may take
 * to send its headers and itself (slowloris), and how many TCP connections may be open at once.
 * `createSignalingServer` applies them to the server it creates; the owner of a server it
 * attaches to calls `hardenHttpServer` on it, with the same options, before it listens.
 */
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { DhtError, ErrorCode } from '@browser-dht/kademlia'
import { resolveTunables, type Tunables } from '../options.ts'
import { type Log, stdoutLog } from './log.ts'

/**
 * How often Node looks for requests past their timeouts (never less often than
 * `headersTimeoutMs`). Node's default, 30 s, would let a stalled request live up to 30 s past
 * `headersTimeoutMs`; one pass over the open connections a second costs next to nothing.
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 1000

export interface HardenOptions extends Partial<Tunables> {
  /** Receives one line per refused or timed-out connection. Default: stdout with a timestamp. */
  readonly log?: Log
}

/**
 * Sets `headersTimeout`, `requestTimeout` and `maxConnections` (from `headersTimeoutMs`,
 * `requestTimeoutMs`, `maxConnections`), answers malformed or timed-out requests as Node does
 * (408, 431 or 400, then close) and logs them and dropped connections. Must be called before the
 * server listens (Node reads the timeout check interval then); throws ERR_INVALID_OPTION after.
 */
export function hardenHttpServer(server: Server, options: HardenOptions = {}): void {
  if (server.listening) throw new DhtError(ErrorCode.INVALID_OPTION, 'harden the HTTP server before it listens')
  const { log = stdoutLog, ...overrides } = options
  const tunables = resolveTunables(overrides)
  server.headersTimeout = tunables.headersTimeoutMs
  server.requestTimeout = tunables.requestTimeoutMs
  // A constructor option in the typings, but Node reads the property when listening starts.
  Object.assign(server, { connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, tunables.headersTimeoutMs) })
  server.maxConnections = tunables.maxConnections
  server.on('drop', (data) => {
    log(`error http dropped: maxConnections=${tunables.maxConnections} remote=${data?.remoteAddress ?? '?'}:${data?.remotePort ?? '?'}`)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, log))
}

/** What Node does for a client error when nobody listens for 'clientError', plus a log line. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, log: Log): void {
  const code = error.code ?? error.name
  const { remoteAddress, remotePort } = socket as Duplex & { remoteAddress?: string; remotePort?: number }
  log(`error http ${code} remote=${remoteAddress ?? '?'}:${remotePort ?? '?'}`)
  // A response already under way on this connection cannot be followed by another.
  const pending = (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage
  if (code === 'ECONNRESET' || !socket.writable || pending?.headersSent === true) {
    socket.destroy()
    return
  }
  const status = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
