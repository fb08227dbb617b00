/**
 * The seam between the transport and a signaling server (or anything else that carries signals
 * by node ID). The transport never talks to a server itself: it hands signed signals to `send`
 * and takes what `listen` delivers. After a node's first connections, its signals travel through
 * the overlay instead (RELAY.md); a signaler is then only a fallback.
 */
import type { Id } from '@browser-dht/kademlia'
import type { SignalData } from './signed-signal.ts'

/**
 * Receives signals addressed to this node. `from` is who the carrier says sent it; `signal` is
 * untrusted: the transport checks its signature and that the signer is `from`.
 */
export type SignalHandler = (from: Id, signal: unknown) => void

export interface Signaler {
  /**
   * Sends `signal` (a small JSON-serializable object) to node `to`. Best effort: a lost signal
   * shows up as a connection that never opens (`connectTimeoutMs`). Returns false when it
   * certainly could not send (for example: not connected to its server).
   */
  send(to: Id, signal: SignalData): boolean
  /** Sets the receiver of signals addressed to this node and returns a function that removes it. */
  listen(handler: SignalHandler): () => void
}
