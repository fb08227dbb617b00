import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '@browser-dht/kademlia'
import { generateIdentity, identityFromSecretKey } from '../src/signaling/identity.ts'
import type { SignalEnvelope } from '../src/signaling/signal.ts'
import { type OpenContext, openSignal, peekSignal, ReplayGuard, sealSignal, signalData, signalDataBytes } from '../src/signaling/signed-signal.ts'

const alice = identityFromSecretKey(new Uint8Array(32).fill(1))
const bob = identityFromSecretKey(new Uint8Array(32).fill(2))
const offer: SignalEnvelope = { v: 1, session: 42, kind: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AB:CD\r\n' }
const NOW = 1_700_000_000_000

function context(overrides: Partial<OpenContext> = {}): OpenContext {
  return { self: bob.id, now: NOW, maxSignalBytes: 16 * 1024, maxSignalAgeMs: 60_000, replay: new ReplayGuard(100), ...overrides }
}

describe('signed signals', () => {
  it('opens what the sender sealed: the signer, the sequence and the envelope', () => {
    const result = openSignal(sealSignal(alice, bob.id, 7, NOW, offer), context())
    expect(result).toEqual({ ok: true, opened: { from: alice.id, sequence: 7, signal: offer } })
  })

  it('rejects any changed byte, so no relay can alter a signal', () => {
    const sealed = sealSignal(alice, bob.id, 7, NOW, offer)
    fc.assert(
      fc.property(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = Uint8Array.from(sealed)
        changed[at]! ^= flip
        expect(openSignal(changed, context()).ok).toBe(false)
      }),
    )
  })

  it('rejects a replay, an old or future signal, and one for another node', () => {
    const sealed = sealSignal(alice, bob.id, 7, NOW, offer)
    const shared = context()
    expect(openSignal(sealed, shared).ok).toBe(true)
    expect(openSignal(sealed, shared)).toEqual({ ok: false, reason: 'replayed' })
    expect(openSignal(sealed, context({ now: NOW + 60_001 }))).toEqual({ ok: false, reason: 'expired' })
    expect(openSignal(sealed, context({ now: NOW - 60_001 }))).toEqual({ ok: false, reason: 'expired' })
    expect(openSignal(sealed, context({ self: alice.id }))).toEqual({ ok: false, reason: 'not-for-us' })
    // The same envelope signed again (a new sequence number) is a new signal.
    expect(openSignal(sealSignal(alice, bob.id, 8, NOW, offer), shared).ok).toBe(true)
  })

  it('does not let one node sign as another: the ID is the hash of the key that signed', () => {
    const mallory = generateIdentity()
    const forged = sealSignal({ ...mallory, publicKey: alice.publicKey }, bob.id, 1, NOW, offer)
    expect(openSignal(forged, context())).toEqual({ ok: false, reason: 'bad-signature' })
    const own = openSignal(sealSignal(mallory, bob.id, 1, NOW, offer), context())
    expect(own.ok && toHex(own.opened.from)).toBe(toHex(mallory.id))
  })

  it('rejects oversized signals before checking the signature, and bad envelopes after', () => {
    const big = sealSignal(alice, bob.id, 1, NOW, { ...offer, sdp: 'x'.repeat(2000) })
    expect(openSignal(big, context({ maxSignalBytes: 1000 }))).toEqual({ ok: false, reason: 'too-large' })
    const badEnvelope = sealSignal(alice, bob.id, 1, NOW, { v: 1, session: -1, kind: 'refuse' })
    expect(openSignal(badEnvelope, context())).toEqual({ ok: false, reason: 'bad-envelope' })
  })

  it('never throws on any input, and accepts nothing unsigned', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.anything()), (input) => {
        expect(openSignal(input, context()).ok).toBe(false)
        expect(() => signalDataBytes(input, 1000)).not.toThrow()
      }),
    )
  })

  it('crosses a signaling server as base64 inside { v: 2, signed }', () => {
    const sealed = sealSignal(alice, bob.id, 3, NOW, offer)
    const data = JSON.parse(JSON.stringify(signalData(sealed))) as unknown
    expect(signalDataBytes(data, 100_000)).toEqual(sealed)
    expect(peekSignal(signalData(sealed))).toEqual(offer)
    expect(signalDataBytes({ v: 2, signed: '!!!' }, 100)).toBeUndefined()
    expect(signalDataBytes({ v: 2, signed: 'A'.repeat(200) }, 100)).toBeUndefined()
  })
})

describe('the replay guard', () => {
  it('stays within its capacity, forgetting the oldest entries first', () => {
    const guard = new ReplayGuard(10)
    for (let i = 0; i < 100; i++) expect(guard.admit(alice.id, 1, i, NOW + i, NOW)).toBe(true)
    expect(guard.size).toBe(10)
    expect(guard.admit(alice.id, 1, 99, NOW + 99, NOW)).toBe(false)
    // An entry past its expiry no longer blocks (the signal itself is too old by then anyway).
    expect(guard.admit(alice.id, 1, 98, NOW + 1000, NOW + 500)).toBe(true)
  })
})
