/**
 * What travels on a data channel: one frame per channel message, its first byte the frame type.
 *
 *   0x00 DHT   | encoded DHT message (the core's wire format, WIRE.md)
 *   0x01 PING  | u32 nonce (big-endian)            — 5 bytes in all
 *   0x02 PONG  | u32 nonce echoed from the PING    — 5 bytes in all
 *
 * `parseFrame` is the one function that reads a frame from a peer: any bytes become a typed
 * frame or a typed rejection, never an exception.
 */

export const FrameType = { DHT: 0x00, PING: 0x01, PONG: 0x02 } as const

/** Bytes of a PING or PONG frame. */
export const HEARTBEAT_FRAME_BYTES = 5

export type Frame =
  | { type: 'dht'; payload: Uint8Array }
  | { type: 'ping'; nonce: number }
  | { type: 'pong'; nonce: number }

/** Why an incoming frame was dropped. */
export type FrameRejection = 'empty-frame' | 'unknown-frame' | 'malformed-heartbeat' | 'frame-too-large'

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

function heartbeatFrame(type: number, nonce: number): Uint8Array {
  const out = new Uint8Array(HEARTBEAT_FRAME_BYTES)
  out[0] = type
  new DataView(out.buffer).setUint32(1, nonce >>> 0)
  return out
}

/**
 * Reads one frame. A DHT payload longer than `maxMessageBytes` is rejected before anything else
 * looks at it. The payload is a plain `Uint8Array` view into `bytes`, even when `bytes` is a
 * Buffer (simple-peer delivers Buffers in Node and its bundled Buffer in the browser): the core's
 * parser copies what it keeps with `slice`, which on a Buffer would return a view instead.
 */
export function parseFrame(bytes: unknown, maxMessageBytes: number): FrameResult {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return { ok: false, reason: 'empty-frame' }
  switch (bytes[0]) {
    case FrameType.DHT:
      if (bytes.length - 1 > maxMessageBytes) return { ok: false, reason: 'frame-too-large' }
      return { ok: true, frame: { type: 'dht', payload: new Uint8Array(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1) } }
    case FrameType.PING:
    case FrameType.PONG: {
      if (bytes.length !== HEARTBEAT_FRAME_BYTES) return { ok: false, reason: 'malformed-heartbeat' }
      const nonce = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
      return { ok: true, frame: { type: bytes[0] === FrameType.PING ? 'ping' : 'pong', nonce } }
    }
    default:
      return { ok: false, reason: 'unknown-frame' }
  }
}
