import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { meetsIdPuzzle, toHex } from '@browser-dht/kademlia'
import { ReplayWindows } from '../src/auth/replay.ts'
import { nobleSuite } from '../src/auth/noble-suite.ts'
import type { AuthSuite } from '../src/auth/suite.ts'
import { type NodeIdentity } from '@browser-dht/identity'
import { generateIdentity, identityFromSecretKey } from '@browser-dht/identity/noble'
import type { SignalEnvelope } from '../src/signaling/signal.ts'
import { type OpenContext, openSignal, peekSignal, sealSignal, signalData, signalDataBytes } from '../src/signaling/signed-signal.ts'

const alice = identityFromSecretKey(new Uint8Array(32).fill(1))
const bob = identityFromSecretKey(new Uint8Array(32).fill(2))
const offer: SignalEnvelope = { v: 1, session: 42, kind: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AB:CD\r\n' }
const NOW = 1_700_000_000_000
/** A seq made at NOW (µs), as a sender's Sequencer would. */
const SEQ = NOW * 1000

/** A suite whose checks can be counted (to show which rejections cost a signature check). */
function counting(identity: NodeIdentity): AuthSuite & { verified: number } {
  const inner = nobleSuite(identity)
  const suite = {
    ...inner,
    verified: 0,
    verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
      suite.verified++
      return inner.verify(signature, message, publicKey)
    },
  }
  return suite
}

function context(overrides: Partial<OpenContext> = {}): OpenContext {
  return {
    self: bob.id,
    claimed: alice.id,
    now: NOW,
    maxSignalBytes: 16 * 1024,
    maxAuthAgeMs: 60_000,
    idPuzzleBits: 0,
    replay: new ReplayWindows(100, 8),
    suite: nobleSuite(bob),
    budget: () => true,
    ...overrides,
  }
}

const seal = (from: NodeIdentity, envelope: SignalEnvelope = offer, seq = SEQ, to = bob.id): Promise<Uint8Array> =>
  sealSignal(from, nobleSuite(from), to, seq, envelope)

describe('signed signals', () => {
  it('opens what the sender sealed: the signer, its key, the seq and the envelope', async () => {
    const result = await openSignal(await seal(alice), context())
    expect(result).toEqual({ ok: true, opened: { from: alice.id, publicKey: alice.publicKey, seq: SEQ, signal: offer } })
  })

  it('rejects any changed byte, so no relay can alter a signal', async () => {
    const sealed = await seal(alice)
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const changed = Uint8Array.from(sealed)
        changed[at]! ^= flip
        expect((await openSignal(changed, context())).ok).toBe(false)
      }),
      { numRuns: 60 },
    )
  })

  it('rejects a replay, an old or future signal, and one for another node', async () => {
    const sealed = await seal(alice)
    const shared = context()
    expect((await openSignal(sealed, shared)).ok).toBe(true)
    expect(await openSignal(sealed, shared)).toEqual({ ok: false, reason: 'replayed' })
    expect(await openSignal(sealed, context({ now: NOW + 60_001 }))).toEqual({ ok: false, reason: 'expired' })
    expect(await openSignal(sealed, context({ now: NOW - 60_001 }))).toEqual({ ok: false, reason: 'expired' })
    expect(await openSignal(sealed, context({ self: alice.id }))).toEqual({ ok: false, reason: 'not-for-us' })
    // The same envelope signed again (a new seq) is a new signal.
    expect((await openSignal(await seal(alice, offer, SEQ + 1), shared)).ok).toBe(true)
  })

  it('does not let one node sign as another: the ID is the hash of the key that signed', async () => {
    const mallory = generateIdentity()
    const forged = await sealSignal({ ...mallory, publicKey: alice.publicKey }, nobleSuite(mallory), bob.id, SEQ, offer)
    expect(await openSignal(forged, context())).toEqual({ ok: false, reason: 'bad-signature' })
    const own = await openSignal(await seal(mallory), context({ claimed: mallory.id }))
    expect(own.ok && toHex(own.opened.from)).toBe(toHex(mallory.id))
    // Carried as if from alice: refused before any signature check.
    expect(await openSignal(await seal(mallory), context())).toEqual({ ok: false, reason: 'wrong-signer' })
  })

  it('runs every cheap check before the signature, so junk costs no public-key operation', async () => {
    const weak = (() => {
      for (;;) {
        const identity = generateIdentity()
        if (!meetsIdPuzzle(identity.id, 8)) return identity
      }
    })()
    const shared = context()
    const accepted = await seal(alice)
    expect((await openSignal(accepted, shared)).ok).toBe(true)
    const cases: [Promise<Uint8Array>, Partial<OpenContext>, string][] = [
      [seal(alice, { ...offer, sdp: 'x'.repeat(2000) }), { maxSignalBytes: 1000 }, 'too-large'],
      [seal(alice), { self: alice.id }, 'not-for-us'],
      [seal(alice), { now: NOW + 3_600_000 }, 'expired'],
      [seal(weak), { claimed: alice.id }, 'wrong-signer'],
      [seal(weak), { claimed: weak.id, idPuzzleBits: 8 }, 'weak-id'],
      [seal(alice, { v: 1, session: -1, kind: 'refuse' }), {}, 'bad-envelope'],
      [Promise.resolve(accepted), { replay: shared.replay }, 'replayed'],
      [seal(alice, offer, SEQ + 5), { budget: () => false }, 'rate-limited'],
    ]
    for (const [bytes, overrides, reason] of cases) {
      const suite = counting(bob)
      expect(await openSignal(await bytes, context({ ...overrides, suite }))).toEqual({ ok: false, reason })
      expect(suite.verified).toBe(0)
    }
  })

  it('never throws on any input, and accepts nothing unsigned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.anything()), async (input) => {
        expect((await openSignal(input, context())).ok).toBe(false)
        expect(() => signalDataBytes(input, 1000)).not.toThrow()
      }),
    )
  })

  it('crosses a signaling server as base64 inside { v: 3, signed }', async () => {
    const sealed = await seal(alice)
    const data = JSON.parse(JSON.stringify(signalData(sealed))) as unknown
    expect(signalDataBytes(data, 100_000)).toEqual(sealed)
    expect(peekSignal(signalData(sealed))).toEqual(offer)
    expect(signalDataBytes({ v: 3, signed: '!!!' }, 100)).toBeUndefined()
    expect(signalDataBytes({ v: 3, signed: 'A'.repeat(200) }, 100)).toBeUndefined()
    // 100 bytes take 136 base64 characters, and so do 101 and 102: those two are over the limit.
    expect(signalDataBytes(signalData(new Uint8Array(100)), 100)).toHaveLength(100)
    expect(signalDataBytes(signalData(new Uint8Array(101)), 100)).toBeUndefined()
    expect(signalDataBytes(signalData(new Uint8Array(102)), 100)).toBeUndefined()
    // A peer speaking the previous format is told apart at once (the carrier drops it as malformed).
    expect(signalDataBytes({ v: 2, signed: 'AAEC' }, 100)).toBeUndefined()
  })
})
