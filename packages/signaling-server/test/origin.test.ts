import { isDhtError } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSignalingServer } from '../src/server/server.ts'
import { connectAndRegister, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track } = fx
let started: Started

/** The HTTP status of a handshake that is refused before it becomes a WebSocket, or 'open'. */
function handshake(url: string, origin: string): Promise<number | 'open' | 'error'> {
  const socket = new WebSocket(url, { origin })
  return new Promise((resolve) => {
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      socket.terminate()
    })
    socket.on('open', () => {
      resolve('open')
      socket.close()
    })
    socket.on('error', () => resolve('error'))
  })
}

describe('Origin allowlist', () => {
  it('lets a listed origin and a client without Origin in, and refuses any other origin with 403 before a WebSocket exists', async () => {
    started = await fx.start({ origins: ['https://app.example', 'http://127.0.0.1:8080/'] })
    track((await connectAndRegister(started.url, undefined, { origin: 'https://app.example' })).client)
    track((await connectAndRegister(started.url, undefined, { origin: 'http://127.0.0.1:8080' })).client)
    track((await connectAndRegister(started.url)).client) // no Origin header: a Node peer
    for (const origin of ['https://evil.example', 'https://app.example:8443', 'http://app.example', 'null']) {
      expect(await handshake(started.url, origin)).toBe(403)
    }
    expect(started.server.stats()).toEqual({ clients: 3, registered: 3 })
    const refused = started.log.filter((line) => line.startsWith('error upgrade 403 '))
    expect(refused).toHaveLength(4)
    expect(refused[0]).toContain('origin="https://evil.example"')
    expect(started.log.filter((line) => line.startsWith('connect '))).toHaveLength(3)
  })

  it('lets every origin in without a list', async () => {
    started = await fx.start()
    expect(await handshake(started.url, 'https://anywhere.example')).toBe('open')
  })

  it('refuses a list entry that is not an origin with ERR_INVALID_OPTION', async () => {
    for (const origins of [['app.example'], ['https://app.example/path'], ['ftp://app.example'], ['']]) {
      await expect(createSignalingServer({ port: 0, log: () => {}, origins })).rejects.toSatisfy((error) => isDhtError(error, 'ERR_INVALID_OPTION'))
    }
  })
})
