import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { dhtFrame, FrameType, parseFrame, pingFrame, pongFrame } from '../src/wire/frames.ts'

describe('channel frames', () => {
  it('puts a zero type byte before a DHT message and reads it back as a plain Uint8Array', () => {
    const message = Uint8Array.of(1, 2, 3)
    const frame = dhtFrame(message)
    expect([...frame]).toEqual([FrameType.DHT, 1, 2, 3])
    const result = parseFrame(Buffer.from(frame), 100)
    expect(result).toEqual({ ok: true, frame: { type: 'dht', payload: message } })
    if (result.ok && result.frame.type === 'dht') expect(result.frame.payload.constructor).toBe(Uint8Array)
  })

  it('carries a 32-bit nonce in five-byte PING and PONG frames', () => {
    expect([...pingFrame(0x01020304)]).toEqual([FrameType.PING, 1, 2, 3, 4])
    expect(parseFrame(pingFrame(0xffffffff), 10)).toEqual({ ok: true, frame: { type: 'ping', nonce: 0xffffffff } })
    expect(parseFrame(pongFrame(7), 10)).toEqual({ ok: true, frame: { type: 'pong', nonce: 7 } })
  })

  it('rejects empty, non-binary, unknown, malformed heartbeat and oversized frames with a reason', () => {
    expect(parseFrame(new Uint8Array(0), 10)).toEqual({ ok: false, reason: 'empty-frame' })
    expect(parseFrame('text', 10)).toEqual({ ok: false, reason: 'empty-frame' })
    expect(parseFrame(Uint8Array.of(3, 0), 10)).toEqual({ ok: false, reason: 'unknown-frame' })
    expect(parseFrame(Uint8Array.of(FrameType.PING, 0, 0), 10)).toEqual({ ok: false, reason: 'malformed-heartbeat' })
    expect(parseFrame(dhtFrame(new Uint8Array(11)), 10)).toEqual({ ok: false, reason: 'frame-too-large' })
    expect(parseFrame(dhtFrame(new Uint8Array(10)), 10).ok).toBe(true)
  })

  it('turns any bytes into a frame or a rejection without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 64 }), (bytes, max) => {
        const result = parseFrame(bytes, max)
        if (result.ok && result.frame.type === 'dht') expect(result.frame.payload.length).toBeLessThanOrEqual(max)
      }),
    )
  })
})
