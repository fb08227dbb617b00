/** The events a `Peer` emits (`peer.on(name, listener)` returns a function that removes the listener). */
import type { Id, StoreMode } from '@browser-dht/kademlia'
import type { CloseReason } from '@browser-dht/webrtc-transport'
import type { SignalingState } from './signaling/signaling-link.ts'

export interface PeerEvents {
  /** Stored records and this node's published ones were read back (`published` of them proved themselves). */
  started: { records: number; published: number }
  /** The node is in the network: it has `contacts` in its routing table. Once per start. */
  joined: { contacts: number }
  /** The node's own records were announced again after joining (`records` reached a holder). */
  republished: { records: number }
  /** A signaling server's link changed state (connecting, connected, unreachable, replaced). */
  signaling: { url: string; state: SignalingState }
  /** None of the `peers` a server named answered; the peer tries again shortly. */
  'entry:failed': { peers: number }
  /** A contact entered the routing table. */
  'peer:added': { id: Id }
  /** A contact left the routing table. */
  'peer:removed': { id: Id }
  /** A data channel to `id` opened. */
  'peer:connected': { id: Id; initiator: boolean; connectMs: number }
  /** A connection to `id` closed; `forgotten` when the peer was gone and left the routing table for it. */
  'peer:disconnected': { id: Id; reason: CloseReason; forgotten: boolean }
  /** A connection to `id` was given up before it opened. */
  'connect:failed': { id: Id; reason: CloseReason; queuedDropped: number }
  /** This node now holds a record because `from` stored it here. */
  'record:stored': { key: Id; mode: StoreMode; from: Id }
  /** Tabs: records of `databases` closed tabs were handed on to their holders. */
  adopted: { records: number; databases: number }
  /** Something went wrong that the peer carried on from; `code` names it. */
  warning: { code: string; message: string }
  /** `close()` finished. */
  closed: Record<string, never>
}
