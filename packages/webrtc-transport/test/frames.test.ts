import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  byeFrame,
  ByeReason,
  dhtFrame,
  FrameType,
  MAX_LISTED_NEIGHBOURS,
  neighboursFrame,
  parseFrame,
  pingFrame,
  pongFrame,
  RELAY_HEADER_BYTES,
  relayFrame,
  RelayKind,
  UNDELIVERABLE_FRAME_BYTES,
  undeliverableFrame,
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

  it('carries a relay with its hops, kind, detour flag, target, origin, seq, replyTo and body, and rejects malformed or oversized ones', () => {
    const target = new Uint8Array(20).fill(1)
    const origin = new Uint8Array(20).fill(2)
    const body = Uint8Array.of(9, 8, 7)
    const relay = { hops: 5, kind: RelayKind.DHT, detoured: true, target, origin, seq: 2 ** 52 + 3, replyTo: 17, body }
    const frame = relayFrame(relay)
    expect(parseFrame(Buffer.from(frame), 10)).toEqual({ ok: true, frame: { type: 'relay', ...relay } })
    expect(parseFrame(relayFrame({ ...relay, kind: RelayKind.SIGNAL, detoured: false }), 10)).toMatchObject({ ok: true, frame: { kind: RelayKind.SIGNAL, detoured: false } })
    expect(parseFrame(frame.subarray(0, RELAY_HEADER_BYTES), 10)).toEqual({ ok: false, reason: 'malformed-relay' })
    const badFlags = Uint8Array.from(frame)
    badFlags[2] = 0x02
    expect(parseFrame(badFlags, 10)).toEqual({ ok: false, reason: 'malformed-relay' })
    const hugeSeq = Uint8Array.from(frame)
    hugeSeq[43] = 0xff // a seq beyond 2^53: no honest sender writes one
    expect(parseFrame(hugeSeq, 10)).toEqual({ ok: false, reason: 'malformed-relay' })
    expect(parseFrame(frame, 10, 2)).toEqual({ ok: false, reason: 'frame-too-large' })
  })

  it('names an undeliverable relay by target, origin and seq, with the reason', () => {
    const relay = { target: new Uint8Array(20).fill(3), origin: new Uint8Array(20).fill(4), seq: 123_456_789 }
    const frame = undeliverableFrame('relay-hop-limit', relay)
    expect(frame.length).toBe(UNDELIVERABLE_FRAME_BYTES)
    expect(parseFrame(frame, 10)).toEqual({ ok: true, frame: { type: 'undeliverable', reason: 'relay-hop-limit', ...relay } })
    const badReason = Uint8Array.from(frame)
    badReason[1] = 9
    expect(parseFrame(badReason, 10)).toEqual({ ok: false, reason: 'malformed-undeliverable' })
    expect(parseFrame(frame.subarray(0, 20), 10)).toEqual({ ok: false, reason: 'malformed-undeliverable' })
  })

  it('says why in a two-byte BYE', () => {
    expect(parseFrame(byeFrame(ByeReason.BUDGET), 10)).toEqual({ ok: true, frame: { type: 'bye', reason: ByeReason.BUDGET } })
    expect(parseFrame(byeFrame(ByeReason.LEAVING), 10)).toEqual({ ok: true, frame: { type: 'bye', reason: ByeReason.LEAVING } })
    expect(parseFrame(Uint8Array.of(FrameType.BYE, 5), 10)).toEqual({ ok: false, reason: 'malformed-bye' })
    expect(parseFrame(Uint8Array.of(FrameType.BYE), 10)).toEqual({ ok: false, reason: 'malformed-bye' })
  })

  it('lists up to 64 node IDs in a NEIGHBOURS frame, copied out of the channel\'s buffer', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), { maxLength: 80 }), (ids) => {
        const frame = neighboursFrame(ids)
        const listed = ids.slice(0, MAX_LISTED_NEIGHBOURS)
        expect(frame.length).toBe(2 + 20 * listed.length)
        const buffer = Buffer.from(frame)
        const result = parseFrame(buffer, 10)
        expect(result).toEqual({ ok: true, frame: { type: 'neighbours', ids: listed } })
        buffer.fill(0)
        if (result.ok && result.frame.type === 'neighbours') expect(result.frame.ids).toEqual(listed)
      }),
    )
  })

  it('rejects a NEIGHBOURS frame whose length is not its count\'s, or that lists more than 64', () => {
    const two = neighboursFrame([new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)])
    expect(parseFrame(two.subarray(0, 41), 10)).toEqual({ ok: false, reason: 'malformed-neighbours' })
    expect(parseFrame(Uint8Array.of(...two, 0), 10)).toEqual({ ok: false, reason: 'malformed-neighbours' })
    expect(parseFrame(Uint8Array.of(FrameType.NEIGHBOURS), 10)).toEqual({ ok: false, reason: 'malformed-neighbours' })
    const tooMany = new Uint8Array(2 + 65 * 20)
    tooMany[0] = FrameType.NEIGHBOURS
    tooMany[1] = 65
    expect(parseFrame(tooMany, 10)).toEqual({ ok: false, reason: 'malformed-neighbours' })
    expect(parseFrame(Uint8Array.of(FrameType.NEIGHBOURS, 0), 10)).toEqual({ ok: true, frame: { type: 'neighbours', ids: [] } })
  })

  it('turns any bytes into a frame or a rejection without throwing', () => {
    const frameType = fc.constantFrom(...Object.values(FrameType), 9)
    fc.assert(
      fc.property(frameType, fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 64 }), (type, rest, max) => {
        const result = parseFrame(Uint8Array.of(type, ...rest), max)
        if (result.ok && result.frame.type === 'dht') expect(result.frame.payload.length).toBeLessThanOrEqual(max)
        if (result.ok && (result.frame.type === 'relay' || result.frame.type === 'undeliverable')) {
          expect(result.frame.target.length).toBe(20)
          expect(result.frame.origin.length).toBe(20)
          expect(Number.isSafeInteger(result.frame.seq)).toBe(true)
        }
        if (result.ok && result.frame.type === 'relay') expect(result.frame.body.length).toBeLessThanOrEqual(max)
        if (result.ok && result.frame.type === 'neighbours') for (const id of result.frame.ids) expect(id.length).toBe(20)
      }),
    )
  })
})
