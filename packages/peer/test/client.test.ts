import { toHex } from '@browser-dht/kademlia'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { ClientErrorCode, SignalingClient, type SignalingClientEvents } from '../src/signaling/signaling-client.ts'
import { type NodeIdentity as Identity } from '@browser-dht/identity'
import { generateIdentity } from '@browser-dht/identity/noble'
import { CloseCode, SignalingError, SignalingErrorCode } from '@browser-dht/signaling-server/protocol'
import { RawClient, type Started, startServer } from './server-helpers.ts'

let started: Started | undefined
const open: SignalingClient[] = []

afterEach(async () => {
  for (const client of open.splice(0)) client.close()
  await started?.server.close()
  started = undefined
})

function client(url: string, identity: Identity = generateIdentity()): SignalingClient {
  const created = new SignalingClient({ url, identity, WebSocket })
  open.push(created)
  return created
}

function nextEvent<E extends keyof SignalingClientEvents>(target: SignalingClient, event: E): Promise<SignalingClientEvents[E]> {
  return new Promise((resolve) => {
    const off = target.on(event, (payload) => {
      off()
      resolve(payload)
    })
  })
}

describe('SignalingClient', () => {
  it('registers its identity and exchanges signals with another client by ID', async () => {
    started = await startServer()
    const aliceIdentity = generateIdentity()
    const alice = client(started.url, aliceIdentity)
    expect(await alice.connect()).toEqual([])
    expect(alice.id).toBe(toHex(aliceIdentity.id))
    const bob = client(started.url)
    expect(await bob.connect()).toEqual([alice.id])
    expect(bob.peers).toEqual([alice.id])

    const received = new Promise<SignalingClientEvents['signal']>((resolve) => alice.onSignal(resolve))
    bob.sendSignal(alice.id!, { type: 'offer', sdp: 'v=0' })
    expect(await received).toEqual({ from: bob.id, data: { type: 'offer', sdp: 'v=0' } })
  })

  it('asks for more peers and reports error frames as events with their code', async () => {
    started = await startServer()
    const alice = client(started.url)
    const bob = client(started.url)
    await alice.connect()
    await bob.connect()
    expect(await alice.requestPeers()).toEqual([bob.id])
    const error = nextEvent(alice, 'error')
    alice.sendSignal('ee'.repeat(20), { type: 'candidate' })
    expect(await error).toEqual({ code: SignalingErrorCode.UNKNOWN_PEER, message: expect.any(String), peer: 'ee'.repeat(20) })
  })

  it('throws typed errors for signals it must not send', async () => {
    started = await startServer()
    const alice = client(started.url)
    expect(() => alice.sendSignal('ee'.repeat(20), {})).toThrow(SignalingError)
    await alice.connect()
    const codeOf = (action: () => void) => {
      try {
        action()
      } catch (error) {
        return error instanceof SignalingError ? error.code : 'not a SignalingError'
      }
      return undefined
    }
    expect(codeOf(() => alice.sendSignal('EE'.repeat(20), {}))).toBe(SignalingErrorCode.INVALID_FIELD)
    expect(codeOf(() => alice.sendSignal('ee'.repeat(20), { sdp: 'x'.repeat(20_000) }))).toBe(SignalingErrorCode.SIGNAL_TOO_LARGE)
  })

  it('is told when its ID is registered from a newer connection', async () => {
    started = await startServer()
    const identity = generateIdentity()
    const old = client(started.url, identity)
    await old.connect()
    const closed = nextEvent(old, 'close')
    const error = nextEvent(old, 'error')
    await client(started.url, identity).connect()
    expect((await error).code).toBe(SignalingErrorCode.REPLACED)
    expect((await closed).code).toBe(CloseCode.REPLACED)
  })

  it('rejects connect() when the server refuses it', async () => {
    started = await startServer({ maxClients: 1 })
    const holder = new RawClient(started.url)
    await holder.expect('challenge')
    try {
      await expect(client(started.url).connect()).rejects.toMatchObject({ code: SignalingErrorCode.SERVER_FULL })
    } finally {
      holder.close()
    }
  })

  it('rejects connect() with ERR_CLOSED when nothing listens', async () => {
    started = await startServer()
    const url = started.url
    await started.server.close()
    started = undefined
    await expect(client(url).connect()).rejects.toMatchObject({ code: ClientErrorCode.CLOSED })
  })

  it('signs one challenge per connection, however many a hostile server sends', async () => {
    const hostile = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((resolve) => hostile.once('listening', resolve))
    const registers: unknown[] = []
    hostile.on('connection', (socket) => {
      socket.on('message', (data) => registers.push(JSON.parse(String(data))))
      for (let i = 0; i < 50; i++) socket.send(JSON.stringify({ type: 'challenge', nonce: toHex(Uint8Array.of(i, ...new Uint8Array(31))) }))
    })
    try {
      const { port } = hostile.address() as { port: number }
      const connecting = client(`ws://127.0.0.1:${port}/signal`).connect()
      connecting.catch(() => {}) // never registered: closed below
      await expect.poll(() => registers.length).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(registers).toHaveLength(1)
      expect(registers[0]).toMatchObject({ type: 'register' })
    } finally {
      for (const socket of hostile.clients) socket.terminate()
      await new Promise((resolve) => hostile.close(resolve))
    }
  })
})
