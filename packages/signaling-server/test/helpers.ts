/**
 * Test helpers: a real server on 127.0.0.1 port 0, and a raw `ws` client that queues the frames
 * it receives so a test can `await next()` them in order.
 */
import { meetsIdPuzzle, toHex } from '@browser-dht/kademlia'
import { afterEach } from 'vitest'
import { WebSocket } from 'ws'
import { isRecord } from '../src/protocol/json.ts'
import { generateIdentity, type Identity, registerFrame } from '../src/identity.ts'
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../src/server/server.ts'

export interface Started {
  readonly server: SignalingServer
  readonly url: string
  readonly log: string[]
}

/**
 * A server on 127.0.0.1 with an OS-chosen port; log lines are kept instead of printed. The ID
 * puzzle is off (`idPuzzleBits: 0`) unless the test asks for it: test identities are random.
 */
export async function startServer(options: SignalingServerOptions = {}): Promise<Started> {
  const log: string[] = []
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', log: (line) => log.push(line), idPuzzleBits: 0, ...options })
  return { server, url: server.url(), log }
}

export type Frame = Record<string, unknown> & { type: string }

function toFrame(value: unknown): Frame {
  const type = isRecord(value) ? value.type : undefined
  if (!isRecord(value) || typeof type !== 'string') throw new Error(`the server sent a non-frame: ${JSON.stringify(value)}`)
  return { ...value, type }
}

export interface RawClientOptions {
  /** Answer pings (default true). */
  readonly autoPong?: boolean
  /** Sent as X-Forwarded-For: the client's address for a server with `trustProxy`. */
  readonly forwardedFor?: string
  /** Sent as the Origin header (default: none, like a Node peer). */
  readonly origin?: string
}

export class RawClient {
  readonly socket: WebSocket
  readonly closed: Promise<{ code: number; reason: string }>
  readonly #frames: Frame[] = []
  readonly #waiters: ((frame: Frame) => void)[] = []

  constructor(url: string, options: RawClientOptions = {}) {
    const headers = options.forwardedFor === undefined ? {} : { 'x-forwarded-for': options.forwardedFor }
    this.socket = new WebSocket(url, { autoPong: options.autoPong ?? true, headers, ...(options.origin === undefined ? {} : { origin: options.origin }) })
    this.socket.on('message', (data: Buffer) => {
      const frame = toFrame(JSON.parse(data.toString('utf8')))
      const waiter = this.#waiters.shift()
      if (waiter) waiter(frame)
      else this.#frames.push(frame)
    })
    this.socket.on('error', () => {})
    this.closed = new Promise((resolve) => {
      this.socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }))
    })
  }

  /** The next frame received (waits up to `ms`). */
  next(ms = 2000): Promise<Frame> {
    const queued = this.#frames.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(new Error(`no frame within ${ms} ms`))
      }, ms)
      const waiter = (frame: Frame) => {
        clearTimeout(timer)
        resolve(frame)
      }
      this.#waiters.push(waiter)
    })
  }

  /** The next frame, which must be of `type`. */
  async expect(type: string): Promise<Frame> {
    const frame = await this.next()
    if (frame.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(frame)}`)
    return frame
  }

  /** True if no frame arrives within `ms`. */
  async quiet(ms = 100): Promise<boolean> {
    try {
      await this.next(ms)
      return false
    } catch {
      return true
    }
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  close(): void {
    this.socket.close()
  }
}

/** A random identity whose ID solves (or, with `solves: false`, fails) the ID puzzle of `bits`. */
export function identityForPuzzle(bits: number, solves = true): Identity {
  for (;;) {
    const identity = generateIdentity()
    if (meetsIdPuzzle(identity.id, bits) === solves) return identity
  }
}

/** Connects, answers the challenge with `identity`'s signature, and returns the `registered` frame. */
export async function connectAndRegister(url: string, identity: Identity = generateIdentity(), options: RawClientOptions = {}): Promise<{ client: RawClient; identity: Identity; registered: Frame }> {
  const client = new RawClient(url, options)
  const challenge = await client.expect('challenge')
  client.send(await registerFrame(identity, String(challenge.nonce)))
  const registered = await client.expect('registered')
  return { client, identity, registered }
}

export async function closeAll(clients: readonly RawClient[], started: Started | undefined): Promise<void> {
  for (const client of clients) client.close()
  await started?.server.close()
}

/**
 * Per-test server and clients for a test file: everything started or tracked through it is closed
 * after each test. Call once at the top of the file.
 */
export function useServerAndClients() {
  let started: Started | undefined
  const clients: RawClient[] = []
  afterEach(async () => {
    await closeAll(clients.splice(0), started)
    started = undefined
  })
  return {
    async start(options: SignalingServerOptions = {}): Promise<Started> {
      started = await startServer(options)
      return started
    },
    track(client: RawClient): RawClient {
      clients.push(client)
      return client
    },
    async register(url: string, options: RawClientOptions = {}) {
      const peer = await connectAndRegister(url, generateIdentity(), options)
      clients.push(peer.client)
      return { ...peer, id: toHex(peer.identity.id) }
    },
  }
}
