/**
 * One client's WebSocket and everything the server keeps about it: its address, its challenge
 * nonce, its registered ID, its token bucket, its strike count and its heartbeat flag.
 */
import type { WebSocket } from 'ws'
import type { NodeIdHex } from '../protocol/frames.ts'
import type { ClientAddress } from './address.ts'
import { TokenBucket } from '@browser-dht/kademlia'

export interface ConnectionInit {
  readonly serial: number
  readonly socket: WebSocket
  readonly remote: string
  readonly address: ClientAddress
  readonly nonce: string
  readonly rateBurst: number
  readonly ratePerSecond: number
  readonly now: () => number
}

export class Connection {
  /** Numbers connections in log lines. */
  readonly serial: number
  readonly socket: WebSocket
  /** Remote address and port, for log lines. */
  readonly remote: string
  /** The client's address and network, which the per-address caps count it under. */
  readonly address: ClientAddress
  /** This connection's challenge (hex); a registration must sign exactly it. */
  readonly nonce: string
  readonly bucket: TokenBucket
  /** Set once `register` succeeds; never changes after. */
  id: NodeIdHex | undefined = undefined
  /** Error frames of the kinds that count as abuse. */
  strikes = 0
  /** Cleared by each heartbeat ping, set again by the pong. */
  alive = true
  /** Set when the server has started closing the socket: its frames are ignored from then on. */
  closing = false
  registerTimer: ReturnType<typeof setTimeout> | undefined = undefined

  constructor(init: ConnectionInit) {
    this.serial = init.serial
    this.socket = init.socket
    this.remote = init.remote
    this.address = init.address
    this.nonce = init.nonce
    this.bucket = new TokenBucket({ burst: init.rateBurst, perSecond: init.ratePerSecond, now: init.now })
  }

  /** `#12` or `#12 id=ab12cd34`, for log lines. */
  get label(): string {
    return this.id === undefined ? `#${this.serial}` : `#${this.serial} id=${this.id.slice(0, 8)}`
  }
}
