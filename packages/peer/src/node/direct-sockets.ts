/**
 * Direct-link sockets for a Node peer, over `ws` (the transport's direct/DIRECT.md): a WebSocket
 * server where other Node peers dial this one, and WebSocket clients to dial them. The transport
 * authenticates every message (HELLO, WELCOME, then a MAC on each frame); here they are only bytes.
 * Text messages are dropped, messages above `maxMessageBytes` close the socket (`ws`'s maxPayload),
 * and `close()` ends the server and every socket it made or took.
 */
import type { AddressInfo } from 'node:net'
import type { DirectSocket, DirectSocketEvents, DirectSockets } from '@browser-dht/webrtc-transport'
import WebSocket, { WebSocketServer } from 'ws'

export interface DirectDialOptions {
  /** Largest message taken from a socket. */
  maxMessageBytes: number
  /** A dial that has not connected after this long fails. */
  dialTimeoutMs: number
}

export interface DirectListenOptions extends DirectDialOptions {
  /** The address to listen on (an IPv4 address). */
  host: string
  /** The TCP port; 0 for a free one. */
  port: number
  /** The URL other peers dial. Default `ws://<host>:<port>` (the port actually bound). */
  url?: string
}

/** Sockets that dial only: a peer that cannot be reached still dials the peers that can. */
export function dialOnlySockets(options: DirectDialOptions): DirectSockets {
  return new WsSockets(options, undefined, undefined)
}

/** A server at `host`:`port`, and the sockets made by it or by `dial`. */
export async function listenDirect(options: DirectListenOptions): Promise<DirectSockets> {
  const server = new WebSocketServer({ maxPayload: options.maxMessageBytes, perMessageDeflate: false, host: options.host, port: options.port, clientTracking: false })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  return new WsSockets(options, server, options.url ?? `ws://${options.host}:${port}`)
}

class WsSockets implements DirectSockets {
  readonly url: string | undefined
  readonly #options: DirectDialOptions
  readonly #server: WebSocketServer | undefined
  readonly #sockets = new Set<WebSocket>()
  #accept: ((socket: DirectSocket) => DirectSocketEvents) | undefined
  #closed = false

  constructor(options: DirectDialOptions, server: WebSocketServer | undefined, url: string | undefined) {
    this.#options = options
    this.#server = server
    this.url = url
    server?.on('connection', (ws: WebSocket) => {
      if (this.#closed || this.#accept === undefined) return ws.terminate()
      this.#track(ws, this.#accept(socketOf(ws)))
    })
    server?.on('error', () => {})
  }

  dial(url: string, events: DirectSocketEvents): DirectSocket {
    const { maxMessageBytes, dialTimeoutMs } = this.#options
    const ws = new WebSocket(url, { maxPayload: maxMessageBytes, perMessageDeflate: false, handshakeTimeout: dialTimeoutMs })
    ws.on('open', () => events.open())
    this.#track(ws, events)
    return socketOf(ws)
  }

  listen(accept: (socket: DirectSocket) => DirectSocketEvents): void {
    this.#accept = accept
  }

  close(): void {
    this.#closed = true
    this.#server?.close()
    for (const ws of this.#sockets) ws.terminate()
    this.#sockets.clear()
  }

  #track(ws: WebSocket, events: DirectSocketEvents): void {
    if (this.#closed) return ws.terminate()
    this.#sockets.add(ws)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) events.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    })
    ws.on('close', () => {
      this.#sockets.delete(ws)
      events.close()
    })
    ws.on('error', () => ws.terminate())
  }
}

function socketOf(ws: WebSocket): DirectSocket {
  return {
    send: (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes)
    },
    close: () => ws.close(),
    get bufferedAmount() {
      return ws.bufferedAmount
    },
  }
}
