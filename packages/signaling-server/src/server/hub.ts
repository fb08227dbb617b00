/**
 * The connections of one signaling server: accepting a socket (client cap, the per-address caps
 * of `admission.ts`, challenge, registration deadline), taking in its frames (rate limit, the one
 * parser, dispatch), error frames and strikes, refusals, the heartbeat, closing, and the
 * counters of `/metrics`. Knows nothing about HTTP.
 */
import { type Random, toHex } from '@browser-dht/kademlia'
import type { RawData, WebSocket } from 'ws'
import type { Tunables } from '../options.ts'
import { CloseCode, SignalingErrorCode } from '../protocol/error-codes.ts'
import { NONCE_BYTES, type NodeIdHex, type ServerFrame } from '../protocol/frames.ts'
import { parseClientFrame } from '../protocol/parse-client-frame.ts'
import type { ClientAddress } from './address.ts'
import { Admission, type Refusal } from './admission.ts'
import { Connection } from './connection.ts'
import { dispatch } from './handlers.ts'
import { SignalingCounters } from './metrics.ts'
import { Registry } from './registry.ts'

/** Error codes that are the client's fault and count towards `maxStrikes`. */
const STRIKES: ReadonlySet<SignalingErrorCode> = new Set<SignalingErrorCode>([
  SignalingErrorCode.FRAME_TOO_LARGE,
  SignalingErrorCode.BINARY_FRAME,
  SignalingErrorCode.MALFORMED_FRAME,
  SignalingErrorCode.UNKNOWN_FRAME_TYPE,
  SignalingErrorCode.INVALID_FIELD,
  SignalingErrorCode.SIGNAL_TOO_LARGE,
  SignalingErrorCode.SIGNAL_TOO_DEEP,
  SignalingErrorCode.WEAK_ID,
  SignalingErrorCode.BAD_SIGNATURE,
  SignalingErrorCode.ALREADY_REGISTERED,
  SignalingErrorCode.NOT_REGISTERED,
  SignalingErrorCode.RATE_LIMITED,
])

export interface HubInit {
  readonly tunables: Tunables
  readonly random: Random
  readonly now: () => number
  readonly log: (line: string) => void
}

export class Hub {
  readonly tunables: Tunables
  readonly registry: Registry<Connection>
  readonly admission: Admission
  /** Registrations, relayed signals and error frames since the start (`/metrics`). */
  readonly counters = new SignalingCounters()
  readonly #connections = new Set<Connection>()
  readonly #random: Random
  readonly #now: () => number
  readonly #log: (line: string) => void
  #serial = 0

  constructor(init: HubInit) {
    this.tunables = init.tunables
    this.#random = init.random
    this.#now = init.now
    this.#log = init.log
    this.registry = new Registry({ random: init.random, now: init.now, minAgeMs: init.tunables.introduceMinAgeMs })
    this.admission = new Admission(init.tunables, init.now)
  }

  /** Open connections (registered or not). */
  get clients(): number {
    return this.#connections.size
  }

  /**
   * Takes a freshly upgraded socket: refuses it when the server is full or its address or
   * network has too many open, else counts it and sends the challenge.
   */
  accept(socket: WebSocket, address: ClientAddress, remote: string): void {
    const serial = ++this.#serial
    socket.on('error', (error) => this.#log(`error #${serial} ${errorName(error)}`))
    const where = `remote=${remote} address=${address.ip}`
    if (this.#connections.size >= this.tunables.maxClients) {
      return this.#refuseSocket(socket, SERVER_FULL, `#${serial}`, `${where} clients=${this.#connections.size}`)
    }
    const refusal = this.admission.admitSocket(address)
    if (refusal !== undefined) {
      const { address: fromAddress, network } = this.admission.socketsFrom(address)
      return this.#refuseSocket(socket, refusal, `#${serial}`, `${where} network=${address.network} sockets=${fromAddress}/${network}`)
    }
    const connection = new Connection({
      serial,
      socket,
      remote,
      address,
      nonce: toHex(this.#random.bytes(NONCE_BYTES)),
      rateBurst: this.tunables.rateBurst,
      ratePerSecond: this.tunables.ratePerSecond,
      now: this.#now,
    })
    this.#connections.add(connection)
    this.#log(`connect ${connection.label} ${where} clients=${this.#connections.size}`)
    socket.on('message', (data, isBinary) => this.#receive(connection, data, isBinary))
    socket.on('pong', () => {
      connection.alive = true
    })
    socket.on('close', (code, reason) => this.#closed(connection, code, reason.toString('utf8')))
    connection.registerTimer = setTimeout(() => {
      if (connection.id === undefined) this.close(connection, CloseCode.POLICY_VIOLATION, 'registration timeout')
    }, this.tunables.registerTimeoutMs)
    this.send(connection, { type: 'challenge', nonce: connection.nonce })
  }

  /** Sends `frame`; an error frame is counted under its code. */
  send(connection: Connection, frame: ServerFrame): void {
    if (frame.type === 'error') this.counters.refused(frame.code)
    sendFrame(connection.socket, frame)
  }

  /** Sends an error frame, logs it, counts a strike if the code is one, and closes at `maxStrikes`. */
  reject(connection: Connection, code: SignalingErrorCode, message: string, peer?: NodeIdHex): void {
    this.send(connection, peer === undefined ? { type: 'error', code, message } : { type: 'error', code, message, peer })
    if (!STRIKES.has(code)) {
      this.#log(`error ${connection.label} ${code}`)
      return
    }
    connection.strikes++
    this.#log(`error ${connection.label} ${code} strikes=${connection.strikes}/${this.tunables.maxStrikes}`)
    if (connection.strikes >= this.tunables.maxStrikes) this.close(connection, CloseCode.POLICY_VIOLATION, 'too many errors')
  }

  /** Refuses a connection for a cap: an error frame saying why, a log line, and its close code. */
  refuse(connection: Connection, refusal: Refusal): void {
    this.send(connection, { type: 'error', code: refusal.code, message: refusal.message })
    this.#log(`error ${connection.label} ${refusal.code} address=${connection.address.ip} network=${connection.address.network}`)
    this.close(connection, refusal.closeCode, refusal.reason)
  }

  /** Starts the close handshake; from now on the connection is unregistered and its frames ignored. */
  close(connection: Connection, code: number, reason: string): void {
    if (connection.closing) return
    connection.closing = true
    clearTimeout(connection.registerTimer)
    if (connection.id !== undefined) this.registry.delete(connection.id, connection)
    connection.socket.close(code, reason)
  }

  /** One heartbeat: terminates sockets that missed the previous ping, pings the rest. */
  heartbeat(): void {
    for (const connection of this.#connections) {
      try {
        if (!connection.alive) {
          this.#log(`error ${connection.label} heartbeat timeout`)
          connection.socket.terminate()
          continue
        }
        connection.alive = false
        connection.socket.ping()
      } catch (error) {
        this.#log(`error ${connection.label} ${SignalingErrorCode.INTERNAL} heartbeat ${errorName(error)}`)
      }
    }
  }

  /** Closes every connection with 1001; resolves when all are closed or `shutdownGraceMs` passed. */
  async closeAll(): Promise<void> {
    const open = [...this.#connections]
    for (const connection of open) this.close(connection, CloseCode.GOING_AWAY, 'server shutting down')
    const closed = open.map((connection) => new Promise<void>((resolve) => {
      if (connection.socket.readyState === connection.socket.CLOSED) resolve()
      else connection.socket.once('close', () => resolve())
    }))
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.tunables.shutdownGraceMs)
    })
    await Promise.race([Promise.all(closed), grace])
    clearTimeout(timer)
    for (const connection of open) connection.socket.terminate()
  }

  #receive(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.closing) return
    try {
      if (!connection.bucket.take()) {
        return this.reject(connection, SignalingErrorCode.RATE_LIMITED, 'too many frames; slow down')
      }
      if (isBinary) return this.reject(connection, SignalingErrorCode.BINARY_FRAME, 'frames must be JSON text')
      const parsed = parseClientFrame(bytesOf(data), this.tunables)
      if (!parsed.ok) return this.reject(connection, parsed.error.code, parsed.error.message)
      dispatch(this, connection, parsed.frame)
    } catch (error) {
      this.send(connection, { type: 'error', code: SignalingErrorCode.INTERNAL, message: 'internal error' })
      this.#log(`error ${connection.label} ${SignalingErrorCode.INTERNAL} ${errorName(error)}`)
    }
  }

  /**
   * Refuses a socket that was never counted: error frame, log line, close frame, and terminate
   * after `refusedGraceMs` if the client has not finished the close handshake by then.
   */
  #refuseSocket(socket: WebSocket, refusal: Refusal, label: string, details: string): void {
    this.#log(`error ${label} ${refusal.code} ${details}`)
    this.counters.refused(refusal.code)
    sendFrame(socket, { type: 'error', code: refusal.code, message: refusal.message })
    socket.close(refusal.closeCode, refusal.reason)
    const timer = setTimeout(() => socket.terminate(), this.tunables.refusedGraceMs)
    socket.once('close', () => clearTimeout(timer))
  }

  #closed(connection: Connection, code: number, reason: string): void {
    connection.closing = true
    clearTimeout(connection.registerTimer)
    if (connection.id !== undefined) this.registry.delete(connection.id, connection)
    this.#connections.delete(connection)
    this.admission.releaseSocket(connection.address)
    this.#log(`disconnect ${connection.label} code=${code} reason=${JSON.stringify(reason)} clients=${this.#connections.size}`)
  }
}

const SERVER_FULL: Refusal = {
  code: SignalingErrorCode.SERVER_FULL,
  message: 'the server is full; try again later',
  closeCode: CloseCode.TRY_AGAIN_LATER,
  reason: 'server full',
}

function sendFrame(socket: WebSocket, frame: ServerFrame): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame))
}

/** `ws` hands text frames over as one Buffer by default; the other shapes are handled anyway. */
function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : error.name
    return `${code}: ${error.message}`.slice(0, 200)
  }
  return 'unknown error'
}
