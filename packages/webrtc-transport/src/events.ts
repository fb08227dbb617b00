/** What the transport reports (through the core's typed `Emitter`). */
import type { Id } from '@browser-dht/kademlia'
import type { CloseReason } from './stats.ts'

export interface TransportEvents {
  /** A data channel to `id` opened. `connectMs`: from creating the connection to open. */
  'peer:connected': { id: Id; initiator: boolean; connectMs: number }
  /** An open connection to `id` closed; everything about it has been dropped. */
  'peer:disconnected': { id: Id; reason: CloseReason }
  /** A connection to `id` was given up before it opened; `queuedDropped` messages were lost. */
  'connect:failed': { id: Id; reason: CloseReason; queuedDropped: number }
}
