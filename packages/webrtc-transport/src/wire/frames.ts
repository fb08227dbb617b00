/**
 * What travels on a data channel: one frame per channel message, its first byte the frame type.
 *
 *   0x00 DHT    | encoded DHT message (the core's wire format, WIRE.md)
 *   0x01 PING   | u32 nonce (big-endian)            — 5 bytes in all
 *   0x02 PONG   | u32 nonce echoed from the PING    — 5 bytes in all
 *   0x03 RELAY  | hops u8 | flags u8 | target 20 | origin 20 | seq u64 | replyTo u64 | body
 *                 flags: bit 0 the kind (0 SIGNAL, 1 DHT), bit 7 set once the frame took its
 *                 detour; the other bits are zero
 *                 SIGNAL: body = a signed signal (signed-signal.ts) for `target`
 *                 DHT:    body = an authenticated DHT message from `origin` (auth/relay-seal.ts)
 *                 seq: the origin's sequence number of this frame (µs of its clock, rising);
 *                 replyTo: the seq of the last relay the origin received from `target`, or 0
 *   0x04 BYE    | reason u8 (0 leaving, 1 budget) — 2 bytes in all; the sender closes next
 *   0x05 UNDELIVERABLE | reason u8 | target 20 | origin 20 | seq u64 — 50 bytes in all: names a
 *                 relay (by target, origin and seq) that could not be passed on. It goes back
 *                 hop by hop, each node sending it only to the peer that brought it the relay.
 *   0x06 NEIGHBOURS | count u8 | count × node ID 20 — the sender's open links (at most
 *                 MAX_LISTED_NEIGHBOURS): a relay for one of them can go through the sender and
 *                 arrive on its next hop (overlay/neighbours.ts). Sent again when they change.
 *
 * RELAY.md describes the relay protocol. `parseFrame` is the one function that reads a frame
 * from a peer: any bytes become a typed frame or a typed rejection, never an exception.
 */
import { type Id, ID_BYTES } from '@browser-dht/kademlia'

export const FrameType = { DHT: 0x00, PING: 0x01, PONG: 0x02, RELAY: 0x03, BYE: 0x04, UNDELIVERABLE: 0x05, NEIGHBOURS: 0x06 } as const

/** Bytes of a PING or PONG frame. */
export const HEARTBEAT_FRAME_BYTES = 5
/** Bytes of a RELAY frame before its body. */
export const RELAY_HEADER_BYTES = 3 + 2 * ID_BYTES + 16
/** Bytes of an UNDELIVERABLE frame. */
export const UNDELIVERABLE_FRAME_BYTES = 2 + 2 * ID_BYTES + 8

/**
 * Node IDs in one NEIGHBOURS frame at most (1,282 bytes): twice the default budget. A node with
 * more open links lists the first this many; a frame that lists more is malformed.
 */
export const MAX_LISTED_NEIGHBOURS = 64

export const RelayKind = { SIGNAL: 0, DHT: 1 } as const
export type RelayKind = (typeof RelayKind)[keyof typeof RelayKind]

/** Set in a relay's flags once it took a detour (a hop that made no progress): it takes no second. */
const DETOURED = 0x80

/** Why a relay gave up (carried in UNDELIVERABLE, counted by every node as a drop reason). */
export const UNDELIVERABLE_REASONS = ['relay-no-route', 'relay-hop-limit', 'relay-queue-full', 'relay-loop'] as const
export type UndeliverableReason = (typeof UNDELIVERABLE_REASONS)[number]

/** Why a node closes a connection, told to the other end in BYE. */
export const ByeReason = { LEAVING: 0, BUDGET: 1 } as const
export type ByeReason = (typeof ByeReason)[keyof typeof ByeReason]

/** What names a relay frame everywhere along its path (its origin chose `seq`). */
export interface RelayId {
  target: Id
  origin: Id
  seq: number
}

export interface RelayFrame extends RelayId {
  type: 'relay'
  hops: number
  kind: RelayKind
  detoured: boolean
  replyTo: number
  body: Uint8Array
}

export interface UndeliverableFrame extends RelayId {
  type: 'undeliverable'
  reason: UndeliverableReason
}

export type Frame =
  | { type: 'dht'; payload: Uint8Array }
  | { type: 'ping'; nonce: number }
  | { type: 'pong'; nonce: number }
  | RelayFrame
  | { type: 'bye'; reason: ByeReason }
  | UndeliverableFrame
  | { type: 'neighbours'; ids: Id[] }

/** Why an incoming frame was dropped. */
export type FrameRejection =
  | 'empty-frame'
  | 'unknown-frame'
  | 'malformed-heartbeat'
  | 'frame-too-large'
  | 'malformed-relay'
  | 'malformed-bye'
  | 'malformed-undeliverable'
  | 'malformed-neighbours'

export type FrameResult = { ok: true; frame: Frame } | { ok: false; reason: FrameRejection }

/** Largest sequence number: 2^53 − 1 µs, about 285 years after 1970 (the u64 field holds more). */
const MAX_SEQ = Number.MAX_SAFE_INTEGER

/** Writes `value` (0..2^53 − 1) as a big-endian u64. */
export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 2 ** 32))
  view.setUint32(at + 4, value >>> 0)
}

/** Reads a big-endian u64; undefined when it exceeds 2^53 − 1 (no honest sender writes one). */
export function readU64(view: DataView, at: number): number | undefined {
  const value = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4)
  return value <= MAX_SEQ ? value : undefined
}

/** Wraps an encoded DHT message. */
export function dhtFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + message.length)
  out[0] = FrameType.DHT
  out.set(message, 1)
  return out
}

export function pingFrame(nonce: number): Uint8Array {
  return heartbeatFrame(FrameType.PING, nonce)
}

export function pongFrame(nonce: number): Uint8Array {
  return heartbeatFrame(FrameType.PONG, nonce)
}

export function byeFrame(reason: ByeReason): Uint8Array {
  return Uint8Array.of(FrameType.BYE, reason)
}

export function relayFrame(frame: Omit<RelayFrame, 'type'>): Uint8Array {
  const out = new Uint8Array(RELAY_HEADER_BYTES + frame.body.length)
  const view = new DataView(out.buffer)
  out[0] = FrameType.RELAY
  out[1] = frame.hops
  out[2] = frame.kind | (frame.detoured ? DETOURED : 0)
  writeIds(out, view, 3, frame)
  writeU64(view, 3 + 2 * ID_BYTES + 8, frame.replyTo)
  out.set(frame.body, RELAY_HEADER_BYTES)
  return out
}

export function undeliverableFrame(reason: UndeliverableReason, relay: RelayId): Uint8Array {
  const out = new Uint8Array(UNDELIVERABLE_FRAME_BYTES)
  out[0] = FrameType.UNDELIVERABLE
  out[1] = UNDELIVERABLE_REASONS.indexOf(reason)
  writeIds(out, new DataView(out.buffer), 2, relay)
  return out
}

/** Lists `ids` (the first MAX_LISTED_NEIGHBOURS of them). */
export function neighboursFrame(ids: readonly Id[]): Uint8Array {
  const listed = ids.slice(0, MAX_LISTED_NEIGHBOURS)
  const out = new Uint8Array(2 + listed.length * ID_BYTES)
  out[0] = FrameType.NEIGHBOURS
  out[1] = listed.length
  listed.forEach((id, i) => out.set(id, 2 + i * ID_BYTES))
  return out
}

/** target, origin, seq from `at` on. */
function writeIds(out: Uint8Array, view: DataView, at: number, relay: RelayId): void {
  out.set(relay.target, at)
  out.set(relay.origin, at + ID_BYTES)
  writeU64(view, at + 2 * ID_BYTES, relay.seq)
}

function heartbeatFrame(type: number, nonce: number): Uint8Array {
  const out = new Uint8Array(HEARTBEAT_FRAME_BYTES)
  out[0] = type
  new DataView(out.buffer).setUint32(1, nonce >>> 0)
  return out
}

/**
 * Reads one frame. A DHT payload longer than `maxMessageBytes`, or a relay body longer than
 * `maxRelayBodyBytes`, is rejected before anything else looks at it. Payloads are plain
 * `Uint8Array` views into `bytes`, even when `bytes` is a Buffer (simple-peer delivers Buffers in
 * Node and its bundled Buffer in the browser), so nothing downstream meets a Buffer's `slice`
 * (a view, not a copy); what is kept (IDs here, values in the core's parser) is copied.
 */
export function parseFrame(bytes: unknown, maxMessageBytes: number, maxRelayBodyBytes = maxMessageBytes): FrameResult {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return { ok: false, reason: 'empty-frame' }
  const view = (from: number, to = bytes.length): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset + from, to - from)
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (bytes[0]) {
    case FrameType.DHT:
      if (bytes.length - 1 > maxMessageBytes) return { ok: false, reason: 'frame-too-large' }
      return { ok: true, frame: { type: 'dht', payload: view(1) } }
    case FrameType.PING:
    case FrameType.PONG: {
      if (bytes.length !== HEARTBEAT_FRAME_BYTES) return { ok: false, reason: 'malformed-heartbeat' }
      return { ok: true, frame: { type: bytes[0] === FrameType.PING ? 'ping' : 'pong', nonce: data.getUint32(1) } }
    }
    case FrameType.RELAY: {
      if (bytes.length <= RELAY_HEADER_BYTES) return { ok: false, reason: 'malformed-relay' }
      if (bytes.length - RELAY_HEADER_BYTES > maxRelayBodyBytes) return { ok: false, reason: 'frame-too-large' }
      const flags = bytes[2]!
      const ids = readIds(bytes, data, 3)
      const replyTo = readU64(data, 3 + 2 * ID_BYTES + 8)
      if ((flags & ~(DETOURED | 1)) !== 0 || ids === undefined || replyTo === undefined) return { ok: false, reason: 'malformed-relay' }
      const kind = (flags & 1) as RelayKind
      return { ok: true, frame: { type: 'relay', hops: bytes[1]!, kind, detoured: (flags & DETOURED) !== 0, ...ids, replyTo, body: view(RELAY_HEADER_BYTES) } }
    }
    case FrameType.BYE: {
      const reason = bytes[1]
      if (bytes.length !== 2 || (reason !== ByeReason.LEAVING && reason !== ByeReason.BUDGET)) return { ok: false, reason: 'malformed-bye' }
      return { ok: true, frame: { type: 'bye', reason } }
    }
    case FrameType.UNDELIVERABLE: {
      const reason = UNDELIVERABLE_REASONS[bytes[1]!]
      const ids = bytes.length === UNDELIVERABLE_FRAME_BYTES ? readIds(bytes, data, 2) : undefined
      if (reason === undefined || ids === undefined) return { ok: false, reason: 'malformed-undeliverable' }
      return { ok: true, frame: { type: 'undeliverable', reason, ...ids } }
    }
    case FrameType.NEIGHBOURS: {
      const count = bytes[1] ?? MAX_LISTED_NEIGHBOURS + 1
      if (count > MAX_LISTED_NEIGHBOURS || bytes.length !== 2 + count * ID_BYTES) return { ok: false, reason: 'malformed-neighbours' }
      const ids: Id[] = []
      for (let at = 2; at < bytes.length; at += ID_BYTES) ids.push(new Uint8Array(bytes.subarray(at, at + ID_BYTES)))
      return { ok: true, frame: { type: 'neighbours', ids } }
    }
    default:
      return { ok: false, reason: 'unknown-frame' }
  }
}

/** target, origin (copies: on a Buffer, `slice` would return a view of the channel's bytes) and seq. */
function readIds(bytes: Uint8Array, view: DataView, at: number): RelayId | undefined {
  const seq = readU64(view, at + 2 * ID_BYTES)
  if (seq === undefined) return undefined
  const copy = (from: number): Id => new Uint8Array(bytes.subarray(from, from + ID_BYTES))
  return { target: copy(at), origin: copy(at + ID_BYTES), seq }
}
