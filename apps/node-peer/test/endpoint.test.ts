import { generateIdentity } from '@browser-dht/identity/noble'
import { SignalingClient, type SignalingClientEvents } from '@browser-dht/peer'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type SignalingEndpoint, startSignalingEndpoint } from '../src/endpoint.ts'

const started: SignalingEndpoint[] = []
const clients: SignalingClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(started.splice(0).map((endpoint) => endpoint.close()))
})

async function start(): Promise<SignalingEndpoint> {
  // The clients here have random identities: no ID puzzle.
  const endpoint = await startSignalingEndpoint({ host: '127.0.0.1', port: 0, log: () => {}, tunables: { idPuzzleBits: 0 } })
  started.push(endpoint)
  return endpoint
}

function client(url: string): SignalingClient {
  const created = new SignalingClient({ url, identity: generateIdentity(), WebSocket })
  clients.push(created)
  return created
}

describe('startSignalingEndpoint', () => {
  it('listens on a free port at /signal and answers /healthz', async () => {
    const endpoint = await start()
    expect(endpoint.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/signal$/)
    expect(endpoint.url).not.toMatch(/:0\//)
    expect(endpoint.healthUrl).toBe(endpoint.url.replace('ws://', 'http://').replace('/signal', '/healthz'))
    const response = await fetch(endpoint.healthUrl)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, clients: 0, registered: 0 })
  })

  it('registers SignalingClients and introduces them to each other', async () => {
    const endpoint = await start()
    const alice = client(endpoint.url)
    expect(await alice.connect()).toEqual([])
    const bob = client(endpoint.url)
    expect(await bob.connect()).toEqual([alice.id])
    expect(endpoint.stats()).toEqual({ clients: 2, registered: 2 })
  })

  it('closes its clients (1001 going away) and its port, and may be closed twice', async () => {
    const endpoint = await start()
    const alice = client(endpoint.url)
    await alice.connect()
    expect(alice.id).toMatch(/^[0-9a-f]{40}$/)
    const closed = new Promise<SignalingClientEvents['close']>((resolve) => alice.on('close', resolve))
    await endpoint.close()
    expect((await closed).code).toBe(1001)
    await endpoint.close()
    await expect(fetch(endpoint.healthUrl)).rejects.toThrow()
  })

  it('rejects when the port is taken', async () => {
    const endpoint = await start()
    const port = Number(new URL(endpoint.url).port)
    await expect(startSignalingEndpoint({ host: '127.0.0.1', port, log: () => {} })).rejects.toThrow(/EADDRINUSE/)
  })
})
