import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  byeFrame,
  ByeReason,
  dhtFrame,
  FrameType,
  parseFrame,
  parseUndeliverable,
  pingFrame,
  pongFrame,
  RELAY_HEADER_BYTES,
  relayFrame,
  RelayKind,
  undeliverablePayload,
} from '../src/wire/frames.ts'

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
    expect(parseFrame(Uint8Array.of(9, 0), 10)).toEqual({ ok: false, reason: 'unknown-frame' })
    expect(parseFrame(Uint8Array.of(FrameType.PING, 0, 0), 10)).toEqual({ ok: false, reason: 'malformed-heartbeat' })
    expect(parseFrame(dhtFrame(new Uint8Array(11)), 10)).toEqual({ ok: false, reason: 'frame-too-large' })
    expect(parseFrame(dhtFrame(new Uint8Array(10)), 10).ok).toBe(true)
  })

  it('carries a relay with its hops, kind, target, origin and payload, and rejects malformed or oversized ones', () => {
    const target = new Uint8Array(20).fill(1)
    const origin = new Uint8Array(20).fill(2)
    const payload = Uint8Array.of(9, 8, 7)
    const frame = relayFrame({ hops: 5, kind: RelayKind.DHT, target, origin, payload })
    expect(parseFrame(Buffer.from(frame), 10)).toEqual({ ok: true, frame: { type: 'relay', hops: 5, kind: RelayKind.DHT, target, origin, payload } })
    expect(parseFrame(frame.subarray(0, RELAY_HEADER_BYTES), 10)).toEqual({ ok: false, reason: 'malformed-relay' })
    const badKind = Uint8Array.from(frame)
    badKind[2] = 7
    expect(parseFrame(badKind, 10)).toEqual({ ok: false, reason: 'malformed-relay' })
    expect(parseFrame(frame, 10, 2)).toEqual({ ok: false, reason: 'frame-too-large' })
  })

  it('wraps an undeliverable relay with its reason and reads it back', () => {
    const original = { type: 'relay' as const, hops: 1, kind: RelayKind.SIGNAL, target: new Uint8Array(20).fill(3), origin: new Uint8Array(20), payload: Uint8Array.of(1, 2) }
    const notice = parseUndeliverable(undeliverablePayload('relay-hop-limit', original))
    expect(notice).toEqual({ reason: 'relay-hop-limit', kind: RelayKind.SIGNAL, target: original.target, payload: original.payload })
    expect(parseUndeliverable(Uint8Array.of(9, 0, ...new Uint8Array(20)))).toBeUndefined()
    expect(parseUndeliverable(Uint8Array.of(0, 0))).toBeUndefined()
  })

  it('says why in a two-byte BYE', () => {
    expect(parseFrame(byeFrame(ByeReason.BUDGET), 10)).toEqual({ ok: true, frame: { type: 'bye', reason: ByeReason.BUDGET } })
    expect(parseFrame(byeFrame(ByeReason.LEAVING), 10)).toEqual({ ok: true, frame: { type: 'bye', reason: ByeReason.LEAVING } })
    expect(parseFrame(Uint8Array.of(FrameType.BYE, 5), 10)).toEqual({ ok: false, reason: 'malformed-bye' })
    expect(parseFrame(Uint8Array.of(FrameType.BYE), 10)).toEqual({ ok: false, reason: 'malformed-bye' })
  })

  it('turns any bytes into a frame or a rejection without throwing', () => {
    const frameType = fc.constantFrom(...Object.values(FrameType), 9)
    fc.assert(
      fc.property(frameType, fc.uint8Array({ maxLength: 96 }), fc.integer({ min: 0, max: 64 }), (type, rest, max) => {
        const result = parseFrame(Uint8Array.of(type, ...rest), max)
        if (result.ok && result.frame.type === 'dht') expect(result.frame.payload.length).toBeLessThanOrEqual(max)
        if (result.ok && result.frame.type === 'relay') {
          expect(result.frame.payload.length).toBeLessThanOrEqual(max)
          expect(result.frame.target.length).toBe(20)
          expect(result.frame.origin.length).toBe(20)
        }
        if (result.ok && result.frame.type === 'relay' && result.frame.kind === RelayKind.UNDELIVERABLE) parseUndeliverable(result.frame.payload)
      }),
    )
  })
})
