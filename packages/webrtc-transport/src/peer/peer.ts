/**
 * The little of simple-peer the transport uses, behind a factory. The browser passes a factory
 * over `simple-peer/simplepeer.min.js`, Node one over `simple-peer` with node-datachannel's
 * WebRTC, and unit tests a fake; the transport cannot tell them apart.
 */
import type { IceServer } from '../options.ts'

/** What a peer is created with. */
export interface PeerInit {
  /** True on the side that dials: it creates the data channel and the offer. */
  initiator: boolean
  /** Always passed to simple-peer explicitly (its own default lists public STUN servers). */
  iceServers: IceServer[]
  /** Only 127.0.0.1 candidates will be exchanged; a Node factory also binds ICE to 127.0.0.1. */
  loopbackOnly: boolean
}

/** The events of one peer. `data` and `signal` payloads are untrusted and checked by the transport. */
export interface PeerEvents {
  /** An offer, answer or ICE candidate to hand to the other side. */
  signal(data: unknown): void
  /** The data channel is open. */
  connect(): void
  /** One data channel message. */
  data(data: unknown): void
  /** The connection is gone (after `destroy`, a remote close, or an error). */
  close(): void
  error(error: unknown): void
}

/** What the transport hands the peer from the other side (simple-peer's signal shape). */
export type PeerSignal =
  | { type: 'offer' | 'answer'; sdp: string }
  | { type: 'candidate'; candidate: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null } }

export interface PeerLike {
  signal(data: PeerSignal): void
  /** Sends one data channel message; only called after `connect`. */
  send(data: Uint8Array): void
  /** Closes the connection and releases it; `close` follows. Safe to call twice. */
  destroy(): void
  /** Bytes queued in the data channel and not yet sent (RTCDataChannel.bufferedAmount). */
  readonly bufferSize: number
}

export type PeerFactory = (init: PeerInit, events: PeerEvents) => PeerLike
