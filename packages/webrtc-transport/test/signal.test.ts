import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { TransportErrorCode } from '../src/errors.ts'
import { isLoopbackCandidate, loopbackOnly, loopbackSdp } from '../src/signaling/loopback.ts'
import { envelopeOf, parseSignal, type SignalEnvelope, withoutCandidates } from '../src/signaling/signal.ts'

const MAX = 1000
const sdp = [
  'v=0',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=candidate:1 1 UDP 2114977791 127.0.0.1 37465 typ host',
  'a=candidate:2 1 UDP 2114977791 192.0.2.2 37466 typ host',
  'a=candidate:3 1 udp 2113937151 5f1c1b9e-3b6b-4c1e-9a51-2c2f0f6b3c4d.local 50000 typ host generation 0',
  'a=end-of-candidates',
  '',
].join('\r\n')

function codeOf(raw: unknown, max = MAX): string | undefined {
  const result = parseSignal(raw, max)
  return result.ok ? undefined : result.error.code
}

describe('signal envelopes', () => {
  it('accepts offers, answers, candidates and refusals and keeps only their known fields', () => {
    const offer = { v: 1, session: 42, kind: 'offer', sdp: 'v=0', extra: { nested: true } }
    expect(parseSignal(offer, MAX)).toEqual({ ok: true, signal: { v: 1, session: 42, kind: 'offer', sdp: 'v=0' } })
    expect(parseSignal({ v: 1, session: 0xffffffff, kind: 'answer', sdp: '' }, MAX).ok).toBe(true)
    const candidate = { v: 1, session: 1, kind: 'candidate', candidate: 'candidate:1 1 UDP 1 127.0.0.1 9 typ host' }
    expect(parseSignal(candidate, MAX)).toEqual({ ok: true, signal: { ...candidate, sdpMid: null, sdpMLineIndex: null } })
    expect(parseSignal({ v: 1, session: 1, kind: 'refuse' }, MAX)).toEqual({ ok: true, signal: { v: 1, session: 1, kind: 'refuse' } })
  })

  it('rejects anything else with ERR_BAD_SIGNAL, and long strings with ERR_SIGNAL_TOO_LARGE', () => {
    for (const raw of [
      null,
      'offer',
      [1],
      { v: 2, session: 1, kind: 'refuse' },
      { v: 1, session: -1, kind: 'refuse' },
      { v: 1, session: 2 ** 32, kind: 'refuse' },
      { v: 1, session: 1.5, kind: 'refuse' },
      { v: 1, session: 1, kind: 'renegotiate' },
      { v: 1, session: 1, kind: 'offer' },
      { v: 1, session: 1, kind: 'candidate', candidate: 5 },
      { v: 1, session: 1, kind: 'candidate', candidate: '', sdpMLineIndex: -1 },
    ]) {
      expect(codeOf(raw)).toBe(TransportErrorCode.BAD_SIGNAL)
    }
    expect(codeOf({ v: 1, session: 1, kind: 'offer', sdp: 'x'.repeat(MAX + 1) })).toBe(TransportErrorCode.SIGNAL_TOO_LARGE)
    expect(codeOf({ v: 1, session: 1, kind: 'candidate', candidate: '', sdpMid: 'x'.repeat(33) })).toBe(TransportErrorCode.SIGNAL_TOO_LARGE)
  })

  it('turns any JSON value into an envelope or a typed error without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseSignal(value, MAX)
        if (!result.ok) expect(Object.values(TransportErrorCode)).toContain(result.error.code)
      }),
    )
  })

  it('wraps simple-peer offers, answers and candidates, and nothing else', () => {
    expect(envelopeOf(9, { type: 'offer', sdp: 'v=0' })).toEqual({ v: 1, session: 9, kind: 'offer', sdp: 'v=0' })
    expect(envelopeOf(9, { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 0 } })).toEqual({
      v: 1,
      session: 9,
      kind: 'candidate',
      candidate: 'c',
      sdpMid: '0',
      sdpMLineIndex: 0,
    })
    expect(envelopeOf(9, { type: 'renegotiate', renegotiate: true })).toBeUndefined()
    expect(envelopeOf(9, { type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } })).toBeUndefined()
    expect(envelopeOf(9, null)).toBeUndefined()
  })

  it('strips every candidate line and the end-of-candidates marker from an offer', () => {
    expect(withoutCandidates(sdp)).toBe('v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n')
  })
})

describe('the loopback-only setting', () => {
  it('keeps only 127.0.0.1 candidates, with or without the a= prefix', () => {
    expect(isLoopbackCandidate('a=candidate:1 1 UDP 2114977791 127.0.0.1 37465 typ host')).toBe(true)
    expect(isLoopbackCandidate('candidate:1 1 UDP 2114977791 127.0.0.1 37465 typ host')).toBe(true)
    expect(isLoopbackCandidate('candidate:2 1 UDP 2114977791 192.0.2.2 37466 typ host')).toBe(false)
    expect(isLoopbackCandidate('candidate:3 1 udp 1 abc.local 5000 typ host')).toBe(false)
    expect(isLoopbackCandidate('candidate:4 1 udp 1 ::1 5000 typ host')).toBe(false)
    expect(isLoopbackCandidate('')).toBe(false)
  })

  it('removes the other candidates from an SDP and drops non-loopback candidate signals', () => {
    const kept = loopbackSdp(sdp).split('\r\n').filter((line) => line.startsWith('a=candidate'))
    expect(kept).toEqual(['a=candidate:1 1 UDP 2114977791 127.0.0.1 37465 typ host'])
    const candidate = (text: string): SignalEnvelope => ({ v: 1, session: 1, kind: 'candidate', candidate: text, sdpMid: '0', sdpMLineIndex: 0 })
    expect(loopbackOnly(candidate('candidate:2 1 UDP 1 192.0.2.2 1 typ host'))).toBeUndefined()
    expect(loopbackOnly(candidate('candidate:2 1 UDP 1 127.0.0.1 1 typ host'))).toBeDefined()
  })
})
