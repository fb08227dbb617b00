/**
 * What travels on a data channel: one frame per channel message, its first byte the frame type.
 *
 *   0x00 DHT    | encoded DHT message (the core's wire format, WIRE.md)
 *   0x01 PING   | u32 nonce (big-endian)            — 5 bytes in all
 *   0x02 PONG   | u32 nonce echoed from the PING    — 5 bytes in all
 *   0x03 RELAY  | hops u8 | kind u8 | target 20 | origin 20 | payload
 *                 kind 0 SIGNAL: a signed signal (signed-signal.ts) for `target`
 *                 kind 1 DHT: a DHT message from `origin` for `target`
 *                 kind 2 UNDELIVERABLE: from the relay that gave up (`origin`) to the origin of
 *                        the relay it could not pass on (`target`); payload = reason u8 | the
 *                        original kind u8 | the original target 20 | the original payload
 *   0x04 BYE    | reason u8 (0 leaving, 1 budget) — 2 bytes in all; the sender closes next
 *
 * RELAY.md describes the relay protocol. `parseFrame` is the one function that reads a frame
 * from a peer: any bytes become a typed frame or a typed rejection, never an exception.
 */
import { type Id, ID_BYTES } from '@browser-dht/kademlia'

export const FrameType = { DHT: 0x00, PING: 0x01, PONG: 0x02, RELAY: 0x03, BYE: 0x04 } as const

/** Bytes of a PING or PONG frame. */
export const HEARTBEAT_FRAME_BYTES = 5
/** Bytes of a RELAY frame before its payload. */
export const RELAY_HEADER_BYTES = 3 + 2 * ID_BYTES

export const RelayKind = { SIGNAL: 0, DHT: 1, UNDELIVERABLE: 2 } as const
export type RelayKind = (typeof RelayKind)[keyof typeof RelayKind]

/** Why a relay gave up (carried in UNDELIVERABLE, counted by every node as a drop reason). */
export const UNDELIVERABLE_REASONS = ['relay-no-route', 'relay-hop-limit', 'relay-queue-full'] as const
export type UndeliverableReason = (typeof UNDELIVERABLE_REASONS)[number]

/** Why a node closes a connection, told to the other end in BYE. */
export const ByeReason = { LEAVING: 0, BUDGET: 1 } as const
export type ByeReason = (typeof ByeReason)[keyof typeof ByeReason]

export interface RelayFrame {
  type: 'relay'
  hops: number
  kind: RelayKind
  target: Id
  origin: Id
  payload: Uint8Array
}

export type Frame =
  | { type: 'dht'; payload: Uint8Array }
  | { type: 'ping'; nonce: number }
  | { type: 'pong'; nonce: number }
  | RelayFrame
  | { type: 'bye'; reason: ByeReason }

/** Why an incoming frame was dropped. */
export type FrameRejection = 'empty-frame' | 'unknown-frame' | 'malformed-heartbeat' | 'frame-too-large' | 'malformed-relay' | 'malformed-bye'

export type FrameResult = { ok: true; frame: Frame } | { ok: false; reason: FrameRejection }

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
  const out = new Uint8Array(RELAY_HEADER_BYTES + frame.payload.length)
  out[0] = FrameType.RELAY
  out[1] = frame.hops
  out[2] = frame.kind
  out.set(frame.target, 3)
  out.set(frame.origin, 3 + ID_BYTES)
  out.set(frame.payload, RELAY_HEADER_BYTES)
  return out
}

/** The payload of an UNDELIVERABLE relay: the reason, then the original kind, target and payload. */
export function undeliverablePayload(reason: UndeliverableReason, original: RelayFrame): Uint8Array {
  const out = new Uint8Array(2 + ID_BYTES + original.payload.length)
  out[0] = UNDELIVERABLE_REASONS.indexOf(reason)
  out[1] = original.kind
  out.set(original.target, 2)
  out.set(original.payload, 2 + ID_BYTES)
  return out
}

export interface Undeliverable {
  reason: UndeliverableReason
  kind: RelayKind
  /** Where the original relay was going. */
  target: Id
  payload: Uint8Array
}

/** Reads an UNDELIVERABLE payload; undefined when malformed. */
export function parseUndeliverable(payload: Uint8Array): Undeliverable | undefined {
  if (payload.length < 2 + ID_BYTES) return undefined
  const reason = UNDELIVERABLE_REASONS[payload[0]!]
  const kind = payload[1]!
  if (reason === undefined || (kind !== RelayKind.SIGNAL && kind !== RelayKind.DHT)) return undefined
  return { reason, kind, target: payload.slice(2, 2 + ID_BYTES), payload: payload.subarray(2 + ID_BYTES) }
}

function heartbeatFrame(type: number, nonce: number): Uint8Array {
  const out = new Uint8Array(HEARTBEAT_FRAME_BYTES)
  out[0] = type
  new DataView(out.buffer).setUint32(1, nonce >>> 0)
  return out
}

/**
 * Reads one frame. A DHT payload longer than `maxMessageBytes`, or a relay payload longer than
 * `maxRelayPayloadBytes`, is rejected before anything else looks at it. Payloads are plain
 * `Uint8Array` views into `bytes`, even when `bytes` is a Buffer (simple-peer delivers Buffers in
 * Node and its bundled Buffer in the browser): the core's parser copies what it keeps with
 * `slice`, which on a Buffer would return a view instead.
 */
export function parseFrame(bytes: unknown, maxMessageBytes: number, maxRelayPayloadBytes = maxMessageBytes): FrameResult {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return { ok: false, reason: 'empty-frame' }
  const view = (from: number, to = bytes.length): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset + from, to - from)
  switch (bytes[0]) {
    case FrameType.DHT:
      if (bytes.length - 1 > maxMessageBytes) return { ok: false, reason: 'frame-too-large' }
      return { ok: true, frame: { type: 'dht', payload: view(1) } }
    case FrameType.PING:
    case FrameType.PONG: {
      if (bytes.length !== HEARTBEAT_FRAME_BYTES) return { ok: false, reason: 'malformed-heartbeat' }
      const nonce = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
      return { ok: true, frame: { type: bytes[0] === FrameType.PING ? 'ping' : 'pong', nonce } }
    }
    case FrameType.RELAY: {
      if (bytes.length <= RELAY_HEADER_BYTES) return { ok: false, reason: 'malformed-relay' }
      if (bytes.length - RELAY_HEADER_BYTES > maxRelayPayloadBytes) return { ok: false, reason: 'frame-too-large' }
      const kind = bytes[2]!
      if (kind !== RelayKind.SIGNAL && kind !== RelayKind.DHT && kind !== RelayKind.UNDELIVERABLE) {
        return { ok: false, reason: 'malformed-relay' }
      }
      return {
        ok: true,
        frame: {
          type: 'relay',
          hops: bytes[1]!,
          kind,
          // Copies (on a Buffer, `slice` would return a view of the channel's bytes).
          target: Uint8Array.from(view(3, 3 + ID_BYTES)),
          origin: Uint8Array.from(view(3 + ID_BYTES, RELAY_HEADER_BYTES)),
          payload: view(RELAY_HEADER_BYTES),
        },
      }
    }
    case FrameType.BYE: {
      const reason = bytes[1]
      if (bytes.length !== 2 || (reason !== ByeReason.LEAVING && reason !== ByeReason.BUDGET)) return { ok: false, reason: 'malformed-bye' }
      return { ok: true, frame: { type: 'bye', reason } }
    }
    default:
      return { ok: false, reason: 'unknown-frame' }
  }
}
