/**
 * How direct links plug into the transport. The transport only knows this interface: a platform
 * that can open sockets passes `directLinks(sockets)` (direct-links.ts, exported by the Node entry)
 * as the `direct` option, and a tab passes nothing, so its bundle carries none of it. Without a
 * plug, a node answers every direct offer with `direct-no`.
 */
import type { PeerKeys } from '../auth/peer-keys.ts'
import type { Link } from '../link/link.ts'
import type { ResolvedOptions } from '../options.ts'
import type { SignalEnvelope } from '../signaling/signal.ts'
import type { Counters } from '../stats.ts'

export type DirectOffer = Extract<SignalEnvelope, { kind: 'direct' }>

/** What the transport hands the plug. */
export interface DirectContext {
  options: ResolvedOptions
  counters: Counters
  keys: PeerKeys
  /** Sends an envelope of `link`'s to its remote (signed, like every signal). */
  signal(link: Link, envelope: SignalEnvelope): void
}

export interface DirectPlug {
  /** True when this node's dials offer a direct link (it listens). */
  readonly offers: boolean
  /** `link`, a dial of this node's, offers its remote to dial this node. */
  offer(link: Link): void
  /** A direct offer made `link`: dial it, or decline (`direct-no`). */
  answer(link: Link, offer: DirectOffer): void
  /** `link` closed or went on as WebRTC: its offer's token is void. */
  forget(link: Link): void
  /** Stops listening and closes every socket. */
  close(): void
}

export type DirectLinking = (context: DirectContext) => DirectPlug
