/**
 * The signaling endpoint a Node peer can serve (`--port`), so browser tabs and other peers can
 * enter the network through it: the signaling server of `@browser-dht/signaling-server` on its
 * own HTTP server, WebSocket at `path`, `GET /healthz`, and `GET /metrics` (the server's families
 * and `metrics`, the process's peers'). No server code of its own.
 */
import { createSignalingServer, type MetricFamily, type SignalingServer, type SignalingServerOptions } from '@browser-dht/signaling-server'
import { SIGNAL_PATH } from './options.ts'

export interface SignalingEndpointOptions {
  /** Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`. */
  readonly host: string
  /** TCP port; 0 lets the OS pick a free one (read it back from `url`). */
  readonly port: number
  /** WebSocket path. Default `/signal`. */
  readonly path?: string
  /** Receives the server's connect, disconnect and error lines. Default: stdout with a timestamp. */
  readonly log?: (line: string) => void
  /** Families `/metrics` adds to the signaling server's (the CLI's peers'). Default none. */
  readonly metrics?: () => MetricFamily[]
  /** Bounds of the signaling server (clients, frame sizes, rates…). Default: its own defaults. */
  readonly tunables?: Omit<SignalingServerOptions, 'server' | 'port' | 'host' | 'path' | 'log'>
}

export interface SignalingEndpoint {
  /** Where clients connect, e.g. `ws://127.0.0.1:8787/signal`, with the port actually bound. */
  readonly url: string
  /** The health check, e.g. `http://127.0.0.1:8787/healthz`: 200 `{"ok":true,"clients":N,"registered":M}`. */
  readonly healthUrl: string
  /** The metrics, e.g. `http://127.0.0.1:8787/metrics`: Prometheus' text format. */
  readonly metricsUrl: string
  /** Open connections and registered IDs. */
  stats(): { clients: number; registered: number }
  /** Closes every connection (1001 going away) and the HTTP server. Safe to call twice. */
  close(): Promise<void>
}

/** Starts listening; rejects if the address cannot be bound (e.g. EADDRINUSE). */
export async function startSignalingEndpoint(options: SignalingEndpointOptions): Promise<SignalingEndpoint> {
  const path = options.path ?? SIGNAL_PATH
  const server: SignalingServer = await createSignalingServer({
    ...options.tunables,
    host: options.host,
    port: options.port,
    path,
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.metrics === undefined ? {} : { moreMetrics: options.metrics }),
  })
  const url = server.url()
  const base = new URL(url)
  base.protocol = 'http:'
  return {
    url,
    healthUrl: new URL('/healthz', base).href,
    metricsUrl: new URL('/metrics', base).href,
    stats: () => server.stats(),
    close: () => server.close(),
  }
}
