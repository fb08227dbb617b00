/**
 * The HTTP server's own limits: a slowloris client is cut off by headersTimeoutMs, and TCP
 * connections beyond maxConnections are dropped. Raw TCP sockets on 127.0.0.1.
 */
import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { isDhtError } from '@browser-dht/kademlia'
import { afterEach, describe, expect, it } from 'vitest'
import { hardenHttpServer } from '../src/server/http-hardening.ts'
import { connectAndRegister, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track } = fx
let started: Started
const sockets: Socket[] = []

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy()
})

function rawSocket(url: string): { socket: Socket; received: () => string; closed: Promise<number> } {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  sockets.push(socket)
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  socket.on('error', () => {})
  const began = performance.now()
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - began)))
  return { socket, received: () => received, closed }
}

describe('HTTP limits', () => {
  it('cuts off a slowloris client that trickles its headers after headersTimeoutMs with 408, and keeps serving', async () => {
    started = await fx.start({ headersTimeoutMs: 300, requestTimeoutMs: 1000 })
    const slow = rawSocket(started.url)
    slow.socket.write('GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n')
    const trickle = setInterval(() => slow.socket.write('X-Pad: 1\r\n'), 50)
    try {
      const after = await slow.closed
      expect(after).toBeLessThan(3000)
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout/)
    } finally {
      clearInterval(trickle)
    }
    expect(started.log.filter((line) => line.startsWith('error http ERR_HTTP_REQUEST_TIMEOUT '))).toHaveLength(1)
    track((await connectAndRegister(started.url)).client)
  })

  it('drops TCP connections beyond maxConnections, and takes new ones once some close', async () => {
    started = await fx.start({ maxClients: 2, maxConnections: 3 })
    const held = [rawSocket(started.url), rawSocket(started.url), rawSocket(started.url)]
    await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve))))
    const extra = rawSocket(started.url)
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    expect(await extra.closed).toBeLessThan(3000)
    expect(extra.received()).toBe('') // dropped unanswered
    await expect.poll(() => started.log.filter((line) => line.startsWith('error http dropped: maxConnections=3 ')).length).toBe(1)
    for (const { socket } of held) socket.destroy()
    const open = () => new Promise<number>((resolve) => started.server.httpServer.getConnections((_error, count) => resolve(count)))
    await expect.poll(open).toBe(0)
    track((await connectAndRegister(started.url)).client)
  })

  it('hardens a server the caller owns, but only before it listens', async () => {
    const app = createServer()
    hardenHttpServer(app, { headersTimeoutMs: 2000, requestTimeoutMs: 5000, maxConnections: 2500, log: () => {} })
    expect([app.headersTimeout, app.requestTimeout, app.maxConnections]).toEqual([2000, 5000, 2500])
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    try {
      expect(isDhtError(catchError(() => hardenHttpServer(app)), 'ERR_INVALID_OPTION')).toBe(true)
    } finally {
      await new Promise((resolve) => app.close(resolve))
    }
  })
})

function catchError(action: () => void): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  return undefined
}
