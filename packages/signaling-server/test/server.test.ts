import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isDhtError } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSignalingServer } from '../src/server/server.ts'
import { CloseCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { connectAndRegister, RawClient, type Started, startServer, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track } = fx
let started: Started

function httpBase(url: string): string {
  return url.replace(/^ws:/, 'http:').replace(/\/signal$/, '')
}

describe('server', () => {
  it('refuses a connection beyond maxClients with ERR_SERVER_FULL and 1013, and accepts again once one leaves', async () => {
    started = await fx.start({ maxClients: 2 })
    const first = track((await connectAndRegister(started.url)).client)
    track((await connectAndRegister(started.url)).client)
    const third = track(new RawClient(started.url))
    expect(await third.expect('error')).toMatchObject({ code: SignalingErrorCode.SERVER_FULL })
    expect((await third.closed).code).toBe(CloseCode.TRY_AGAIN_LATER)
    first.close()
    await expect.poll(() => started!.server.stats().clients).toBe(1)
    track((await connectAndRegister(started.url)).client)
  })

  it('terminates a client that stops answering pings, and keeps one that answers', async () => {
    // Pings every 200 ms: the silent client is gone after two or three, the healthy one stays.
    started = await fx.start({ heartbeatIntervalMs: 200 })
    const silent = track(new RawClient(started.url, { autoPong: false }))
    const healthy = track(new RawClient(started.url))
    await silent.expect('challenge')
    await healthy.expect('challenge')
    const { code } = await silent.closed
    expect(code).toBe(1006) // terminated: no close frame
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN)
    expect(started.server.stats().clients).toBe(1)
    expect(started.log.some((line) => line.includes('heartbeat timeout'))).toBe(true)
  })

  it('answers GET /healthz with 200 and the client count, and 404 elsewhere', async () => {
    started = await fx.start()
    track((await connectAndRegister(started.url)).client)
    track(new RawClient(started.url))
    const base = httpBase(started.url)
    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('content-type')).toBe('application/json')
    expect(await health.json()).toEqual({ ok: true, clients: 2, registered: 1 })
    expect((await fetch(`${base}/`)).status).toBe(404)
  })

  it('refuses WebSocket upgrades on other paths', async () => {
    started = await fx.start()
    const socket = new WebSocket(started.url.replace(/\/signal$/, '/elsewhere'))
    const status = await new Promise<number | undefined>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode))
      socket.on('error', () => resolve(undefined))
    })
    expect(status).toBe(404)
  })

  it('logs one line per connect, disconnect and error', async () => {
    started = await fx.start()
    const { client } = await connectAndRegister(started.url)
    client.send('nope')
    await client.expect('error')
    client.close()
    await expect.poll(() => started!.log.filter((line) => line.startsWith('disconnect')).length).toBe(1)
    expect(started.log.map((line) => line.split(' ')[0])).toEqual(['connect', 'error', 'disconnect'])
    expect(started.log[1]).toContain(SignalingErrorCode.MALFORMED_FRAME)
  })

  it('attaches to an existing HTTP server, leaving its requests and its lifetime to the owner', async () => {
    const app: Server = createServer((request, response) => {
      if (signaling.handleRequest(request, response)) return
      response.end('app')
    })
    const signaling = await createSignalingServer({ server: app, path: '/ws', log: () => {}, idPuzzleBits: 0 })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    const { port } = app.address() as AddressInfo // our own server's address
    try {
      expect(signaling.url()).toBe(`ws://127.0.0.1:${port}/ws`)
      const peer = await connectAndRegister(signaling.url())
      track(peer.client)
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app')
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true, clients: 1, registered: 1 })
      await signaling.close()
      expect((await peer.client.closed).code).toBe(CloseCode.GOING_AWAY)
      expect(app.listening).toBe(true)
    } finally {
      await new Promise((resolve) => app.close(resolve))
    }
  })

  it('closes every client with 1001 on close() and stops listening', async () => {
    const local = await startServer()
    const { client } = await connectAndRegister(local.url)
    await local.server.close()
    expect((await client.closed).code).toBe(CloseCode.GOING_AWAY)
    expect(local.server.httpServer.listening).toBe(false)
  })

  it('rejects options out of range with ERR_INVALID_OPTION', async () => {
    for (const bad of [{ maxClients: 0 }, { maxFrameBytes: 1.5 }, { maxPayloadBytes: 1024, maxFrameBytes: 2048 }, { ratePerSecond: Number.NaN }, { idPuzzleBits: -1 }, { idPuzzleBits: 33 }]) {
      await expect(createSignalingServer({ port: 0, log: () => {}, ...bad })).rejects.toSatisfy((error) => isDhtError(error, 'ERR_INVALID_OPTION'))
    }
  })
})
