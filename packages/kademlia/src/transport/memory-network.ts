/**
 * An in-memory network of transports for tests and the simulator: configurable latency, loss and
 * node failure, all on the handed clock and random source, so runs are repeatable.
 *
 * With `wire: true` (the default) every message is encoded to bytes and parsed at the receiver,
 * exactly as over a real channel. With `wire: false` the typed message object itself is delivered;
 * IDs are then shared between nodes instead of copied, which is what lets 100,000 nodes fit in
 * one process.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, idKey, toHex } from '../keyspace/id.ts'
import type { Clock, Random } from '../platform/platform.ts'
import { encodeMessage, type WireLimits } from '../wire/codec.ts'
import type { Message } from '../wire/messages.ts'
import { deliverBytes, type Transport, type TransportHandler } from './transport.ts'
import { DEFAULT_WIRE_LIMITS } from '../node/options.ts'

export interface MemoryNetworkOptions {
  clock: Clock
  random: Random
  /** One-way delay in ms: a fixed number, or a uniform range. Default 10–50. */
  latencyMs?: number | { min: number; max: number }
  /** Probability that any one message is lost. Default 0. */
  loss?: number
  /** Encode and parse every message (default true). */
  wire?: boolean
  /** Parser limits at the receivers. */
  limits?: WireLimits
}

export interface NetworkStats {
  sent: number
  delivered: number
  dropped: number
  bytes: number
}

interface Endpoint {
  id: Id
  handler: TransportHandler | undefined
  failed: boolean
}

export class MemoryNetwork {
  readonly #options: Required<Omit<MemoryNetworkOptions, 'latencyMs'>> & { latency: { min: number; max: number } }
  readonly #endpoints = new Map<string, Endpoint>()
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, bytes: 0 }

  constructor(options: MemoryNetworkOptions) {
    const latency = options.latencyMs ?? { min: 10, max: 50 }
    this.#options = {
      clock: options.clock,
      random: options.random,
      loss: options.loss ?? 0,
      wire: options.wire ?? true,
      limits: options.limits ?? DEFAULT_WIRE_LIMITS,
      latency: typeof latency === 'number' ? { min: latency, max: latency } : latency,
    }
  }

  /** Creates the transport for node `id`. One per ID. */
  transport(id: Id): Transport {
    const key = idKey(id)
    if (this.#endpoints.has(key)) throw new DhtError(ErrorCode.INVALID_OPTION, `node ${toHex(id)} is already on the network`)
    const endpoint: Endpoint = { id, handler: undefined, failed: false }
    this.#endpoints.set(key, endpoint)
    let closed = false
    return {
      send: (to, message) => {
        if (!closed) this.#send(endpoint, to, message)
      },
      listen: (handler) => {
        endpoint.handler = handler
      },
      close: () => {
        closed = true
        if (this.#endpoints.get(key) === endpoint) this.#endpoints.delete(key)
      },
    }
  }

  /** Node `id` stops answering without notice: everything to and from it is dropped. */
  fail(id: Id): void {
    const endpoint = this.#endpoints.get(idKey(id))
    if (endpoint !== undefined) endpoint.failed = true
  }

  /** Undoes `fail`. */
  recover(id: Id): void {
    const endpoint = this.#endpoints.get(idKey(id))
    if (endpoint !== undefined) endpoint.failed = false
  }

  isFailed(id: Id): boolean {
    return this.#endpoints.get(idKey(id))?.failed ?? false
  }

  /** Delivers raw bytes to `to` as if `from` had sent them (for bad-input tests). */
  injectBytes(from: Id, to: Id, bytes: Uint8Array): void {
    const endpoint = this.#endpoints.get(idKey(to))
    if (endpoint?.handler !== undefined) deliverBytes(endpoint.handler, from, bytes, this.#options.limits)
  }

  #send(source: Endpoint, to: Id, message: Message): void {
    this.stats.sent++
    const { random, clock, latency, loss, wire } = this.#options
    if (source.failed || (loss > 0 && random.float() < loss)) {
      this.stats.dropped++
      return
    }
    const payload = wire ? encodeMessage(message) : message
    if (payload instanceof Uint8Array) this.stats.bytes += payload.length
    const delay = latency.min + (latency.max - latency.min) * random.float()
    clock.setTimeout(() => this.#deliver(source.id, to, payload), delay)
  }

  #deliver(from: Id, to: Id, payload: Message | Uint8Array): void {
    const endpoint = this.#endpoints.get(idKey(to))
    if (endpoint?.handler === undefined || endpoint.failed) {
      this.stats.dropped++
      return
    }
    this.stats.delivered++
    if (payload instanceof Uint8Array) deliverBytes(endpoint.handler, from, payload, this.#options.limits)
    else endpoint.handler.onMessage(from, payload)
  }
}
