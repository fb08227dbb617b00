/**
 * An in-memory `Signaler` hub: the one in-memory implementation of the signaling seam, for tests
 * and for transports that share a process. Signals are copied through JSON (as over a real wire)
 * and delivered on the handed clock after `latencyMs`, never synchronously.
 */
import { type Clock, type Id, systemClock, toHex } from '@browser-dht/kademlia'
import type { SignalEnvelope } from './signal.ts'
import { peekSignal, type SignalData } from './signed-signal.ts'
import type { SignalHandler, Signaler } from './signaler.ts'

export interface MemorySignalingOptions {
  /** Default `systemClock()`. */
  clock?: Clock
  /** Delay of every signal in ms. Default 0 (the next macrotask). */
  latencyMs?: number
  /**
   * Decides per signal whether it is delivered (tests use it to lose or inspect signals); it sees
   * the envelope inside the signed signal (unverified) and the signed data as sent. Default: all.
   */
  filter?: (from: Id, to: Id, signal: SignalEnvelope | undefined, data: SignalData) => boolean
}

export interface MemorySignalingStats {
  sent: number
  delivered: number
  /** Filtered out, or addressed to a node with no handler. */
  dropped: number
}

export class MemorySignaling {
  readonly stats: MemorySignalingStats = { sent: 0, delivered: 0, dropped: 0 }
  readonly #handlers = new Map<string, SignalHandler>()
  readonly #clock: Clock
  readonly #latencyMs: number
  readonly #filter: MemorySignalingOptions['filter']

  constructor(options: MemorySignalingOptions = {}) {
    this.#clock = options.clock ?? systemClock()
    this.#latencyMs = options.latencyMs ?? 0
    this.#filter = options.filter
  }

  /** The signaler of node `id`. */
  signaler(id: Id): Signaler {
    const self = Uint8Array.from(id)
    const key = toHex(self)
    return {
      send: (to, signal) => {
        this.#send(self, to, signal)
        return true
      },
      listen: (handler) => {
        this.#handlers.set(key, handler)
        return () => {
          if (this.#handlers.get(key) === handler) this.#handlers.delete(key)
        }
      },
    }
  }

  #send(from: Id, to: Id, signal: SignalData): void {
    this.stats.sent++
    if (this.#filter !== undefined && !this.#filter(from, to, peekSignal(signal), signal)) {
      this.stats.dropped++
      return
    }
    const wire = JSON.stringify(signal)
    const target = toHex(to)
    this.#clock.setTimeout(() => {
      const handler = this.#handlers.get(target)
      if (handler === undefined) {
        this.stats.dropped++
        return
      }
      this.stats.delivered++
      handler(Uint8Array.from(from), JSON.parse(wire) as unknown)
    }, this.#latencyMs)
  }
}
