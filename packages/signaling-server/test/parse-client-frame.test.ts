import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_FRAME_LIMITS } from '../src/protocol/limits.ts'
import { isSignalingErrorCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { parseClientFrame } from '../src/protocol/parse-client-frame.ts'
import { parseServerFrame } from '../src/protocol/parse-server-frame.ts'

const limits = DEFAULT_FRAME_LIMITS
const ID = 'ab'.repeat(20)
const KEY = '01'.repeat(32)
const SIG = 'ef'.repeat(64)

function codeOf(raw: string | Uint8Array): string | undefined {
  const result = parseClientFrame(raw, limits)
  return result.ok ? undefined : result.error.code
}

function nested(depth: number): unknown {
  let value: unknown = { leaf: true }
  for (let i = 1; i < depth; i++) value = { inner: value }
  return value
}

describe('parseClientFrame', () => {
  it('accepts each well-formed client frame and returns exactly its fields', () => {
    expect(parseClientFrame(JSON.stringify({ type: 'register', publicKey: KEY, signature: SIG }), limits)).toEqual({
      ok: true,
      frame: { type: 'register', publicKey: KEY, signature: SIG },
    })
    const data = { type: 'offer', sdp: 'v=0\r\n', nested: [1, null, { a: 'b' }] }
    expect(parseClientFrame(JSON.stringify({ type: 'signal', to: ID, data }), limits)).toEqual({ ok: true, frame: { type: 'signal', to: ID, data } })
    expect(parseClientFrame(new TextEncoder().encode('{"type":"peers"}'), limits)).toEqual({ ok: true, frame: { type: 'peers' } })
  })

  it('rejects text that is not JSON, not an object, or has no string type as malformed', () => {
    for (const raw of ['', 'nope', '{"type":', '[]', 'null', '42', '"signal"', '{}', '{"type":7}', '{"type":null}']) {
      expect(codeOf(raw)).toBe(SignalingErrorCode.MALFORMED_FRAME)
    }
  })

  it('rejects bytes that are not UTF-8 as malformed', () => {
    expect(codeOf(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toBe(SignalingErrorCode.MALFORMED_FRAME)
  })

  it('rejects an unknown frame type', () => {
    expect(codeOf('{"type":"subscribe"}')).toBe(SignalingErrorCode.UNKNOWN_FRAME_TYPE)
    expect(codeOf('{"type":"__proto__"}')).toBe(SignalingErrorCode.UNKNOWN_FRAME_TYPE)
  })

  it('rejects fields of the wrong type, length, case or name as invalid', () => {
    const bad = [
      { type: 'register', publicKey: KEY.slice(2), signature: SIG },
      { type: 'register', publicKey: KEY.toUpperCase().replace(/1/g, 'A'), signature: SIG },
      { type: 'register', publicKey: KEY, signature: 42 },
      { type: 'register', publicKey: KEY },
      { type: 'register', publicKey: KEY, signature: SIG, id: ID },
      { type: 'signal', to: ID.slice(1), data: {} },
      { type: 'signal', to: ID.toUpperCase(), data: {} },
      { type: 'signal', to: ID, data: 'offer' },
      { type: 'signal', to: ID, data: [1, 2] },
      { type: 'signal', to: ID, data: null },
      { type: 'signal', to: ID },
      { type: 'signal', to: ID, data: {}, from: ID },
      { type: 'peers', count: 100 },
    ]
    for (const frame of bad) expect(codeOf(JSON.stringify(frame))).toBe(SignalingErrorCode.INVALID_FIELD)
  })

  it('does not read missing fields through Object.prototype', () => {
    expect(codeOf('{"type":"signal","to":"' + ID + '","data":{},"constructor":1}')).toBe(SignalingErrorCode.INVALID_FIELD)
    expect(codeOf('{"type":"register","__proto__":{"publicKey":"' + KEY + '","signature":"' + SIG + '"}}')).toBe(SignalingErrorCode.INVALID_FIELD)
  })

  it('rejects a frame above maxFrameBytes, counting UTF-8 bytes rather than characters', () => {
    const big = JSON.stringify({ type: 'signal', to: ID, data: { sdp: 'x'.repeat(limits.maxFrameBytes) } })
    expect(codeOf(big)).toBe(SignalingErrorCode.FRAME_TOO_LARGE)
    expect(codeOf(new TextEncoder().encode(big))).toBe(SignalingErrorCode.FRAME_TOO_LARGE)
    const wide = JSON.stringify({ type: 'peers', pad: '€'.repeat(Math.ceil(limits.maxFrameBytes / 3)) })
    expect(wide.length).toBeLessThan(limits.maxFrameBytes)
    expect(codeOf(wide)).toBe(SignalingErrorCode.FRAME_TOO_LARGE)
  })

  it('rejects signal data above maxSignalBytes or nested deeper than maxSignalDepth', () => {
    const large = { type: 'signal', to: ID, data: { sdp: 'x'.repeat(limits.maxSignalBytes) } }
    expect(codeOf(JSON.stringify(large))).toBe(SignalingErrorCode.SIGNAL_TOO_LARGE)
    expect(codeOf(JSON.stringify({ type: 'signal', to: ID, data: nested(limits.maxSignalDepth) }))).toBeUndefined()
    expect(codeOf(JSON.stringify({ type: 'signal', to: ID, data: nested(limits.maxSignalDepth + 1) }))).toBe(SignalingErrorCode.SIGNAL_TOO_DEEP)
    const arrays = '{"type":"signal","to":"' + ID + '","data":{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}}'
    expect(codeOf(arrays)).toBe(SignalingErrorCode.SIGNAL_TOO_DEEP)
  })

  it('never throws and always answers ok or a known error code, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const result = parseClientFrame(JSON.stringify(value) ?? 'null', limits)
        expect(result.ok || isSignalingErrorCode(result.error.code)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on frame-shaped objects with random field values', () => {
    const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }), fc.constant(ID))
    const frame = fc.record(
      { type: fc.constantFrom('register', 'signal', 'peers', 'error'), to: anyValue, data: anyValue, publicKey: anyValue, signature: anyValue },
      { requiredKeys: ['type'] },
    )
    fc.assert(
      fc.property(frame, (value) => {
        const result = parseClientFrame(JSON.stringify(value), limits)
        if (result.ok) expect(result.frame.type).toBe(value.type)
        else expect(isSignalingErrorCode(result.error.code)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on random strings and random bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), (raw) => {
        const result = parseClientFrame(raw, limits)
        expect(result.ok || isSignalingErrorCode(result.error.code)).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('parseServerFrame', () => {
  it('accepts each server frame the protocol defines', () => {
    const frames = [
      { type: 'challenge', nonce: KEY },
      { type: 'registered', id: ID, peers: ['cd'.repeat(20)] },
      { type: 'signal', from: ID, data: { type: 'answer', sdp: 'v=0' } },
      { type: 'peers', peers: [] },
      { type: 'error', code: SignalingErrorCode.UNKNOWN_PEER, message: 'gone', peer: ID },
    ]
    for (const frame of frames) expect(parseServerFrame(JSON.stringify(frame), limits)).toEqual({ ok: true, frame })
  })

  it('rejects server frames with bad IDs, duplicate peers or oversized signals', () => {
    const bad = [
      { type: 'challenge', nonce: 'zz' },
      { type: 'registered', id: ID, peers: [ID, ID] },
      { type: 'registered', id: ID, peers: 'all' },
      { type: 'signal', from: 'me', data: {} },
      { type: 'error', code: '', message: 'x' },
    ]
    for (const frame of bad) expect(parseServerFrame(JSON.stringify(frame), limits).ok).toBe(false)
    const big = { type: 'signal', from: ID, data: { sdp: 'x'.repeat(limits.maxSignalBytes) } }
    expect(parseServerFrame(JSON.stringify(big), limits)).toMatchObject({ ok: false, error: { code: SignalingErrorCode.SIGNAL_TOO_LARGE } })
  })

  it('never throws on random JSON or random strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 300 })), (raw) => {
        const result = parseServerFrame(raw, limits)
        expect(result.ok || isSignalingErrorCode(result.error.code)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
