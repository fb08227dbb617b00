/**
 * The WebRTC transport's `Signaler` over a `SignalingClient`. The client speaks hex node IDs, the
 * transport 20-byte ones; this converts both ways. The client behind it changes when the node
 * reconnects to the server (`attach`), the transport's handler stays. (It matches the transport's
 * `Signaler` interface by shape, so this package does not depend on the transport.)
 */
import { type Id, idFromHex, toHex } from '@browser-dht/kademlia'
import type { SignalingClient } from './signaling-client.ts'

/** A signed signal as the transport hands it over: `{ v, signed }`, relayed as it is. */
export interface SignalPayload {
  readonly v: number
  readonly signed: string
}

/** Receives signals addressed to this node: `from` as the server says, `signal` untrusted. */
export type SignalReceiver = (from: Id, signal: unknown) => void

export class ClientSignaler {
  #client: SignalingClient | undefined
  #handler: SignalReceiver | undefined
  #unsubscribe: (() => void) | undefined
  /** Signals that could not be sent (no server connection, or the client refused them). */
  unsent = 0

  /** Routes signals through `client` from now on (undefined: the server is not reachable). */
  attach(client: SignalingClient | undefined): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#client = client
    if (client !== undefined) this.#unsubscribe = client.onSignal(({ from, data }) => this.#deliver(from, data))
  }

  send(to: Id, signal: SignalPayload): boolean {
    try {
      if (this.#client === undefined) throw new Error('no signaling connection')
      this.#client.sendSignal(toHex(to), { ...signal })
      return true
    } catch {
      // Best effort, as the interface says: the connection attempt times out in the transport.
      this.unsent++
      return false
    }
  }

  listen(handler: SignalReceiver): () => void {
    this.#handler = handler
    return () => {
      if (this.#handler === handler) this.#handler = undefined
    }
  }

  #deliver(from: string, data: unknown): void {
    let id: Id
    try {
      id = idFromHex(from) // the server checked it; the core checks it again
    } catch {
      return
    }
    this.#handler?.(id, data)
  }
}
