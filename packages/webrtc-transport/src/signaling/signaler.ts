/**
 * The seam between the transport and whatever carries signals (a WebSocket signaling server
 * today, the DHT overlay itself later). The transport never talks to a server: it hands
 * envelopes to `send` and takes what `listen` delivers.
 */
import type { Id } from '@browser-dht/kademlia'
import type { SignalEnvelope } from './signal.ts'

/** Receives signals addressed to this node. `signal` is untrusted: the transport parses it. */
export type SignalHandler = (from: Id, signal: unknown) => void

export interface Signaler {
  /**
   * Sends `signal` (a small JSON-serializable object) to node `to`. Best effort: a lost signal
   * shows up as a connection that never opens (`connectTimeoutMs`).
   */
  send(to: Id, signal: SignalEnvelope): void
  /**
   * Sets the receiver of signals addressed to this node and returns a function that removes it.
   * The signaler vouches for `from`: the transport binds the connection it builds to that ID, so
   * a signaler must not let one node speak as another (the server overwrites the sender field).
   */
  listen(handler: SignalHandler): () => void
}
