/**
 * The pieces of authentication on their own: sequence numbers, per-sender replay windows, the two
 * crypto suites (which must agree byte for byte), and the seal and open of a relayed DHT message.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { meetsIdPuzzle, VirtualClock } from '@browser-dht/kademlia'
import { ed25519 } from '@noble/curves/ed25519.js'
import { PeerKeys } from '../src/auth/peer-keys.ts'
import { AuthMode, MAC_TAG_BYTES, RelayAuth } from '../src/auth/relay-seal.ts'
import { ReplayWindows } from '../src/auth/replay.ts'
import { PRESENCE_BYTES } from '../src/auth/presence.ts'
import { Sequencer } from '../src/auth/sequencer.ts'
import { nobleSuite } from '../src/auth/noble-suite.ts'
import { type AuthSuite, lazyNobleSuite, webCryptoSuite } from '../src/auth/suite.ts'
import { type NodeIdentity, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, subtle, type SubtleLike } from '@browser-dht/identity'
import { generateIdentity } from '@browser-dht/identity/noble'
import { Counters } from '../src/stats.ts'
import { RelayKind, type RelayFrame } from '../src/wire/frames.ts'

const NOW = 1_700_000_000_000

describe('sequence numbers', () => {
  it('rise strictly, follow the clock in microseconds, and never step back with it', async () => {
    const clock = new VirtualClock(NOW)
    const sequencer = new Sequencer(clock)
    const first = sequencer.next()
    expect(first).toBe(NOW * 1000)
    expect(sequencer.next()).toBe(first + 1)
    await clock.advance(5)
    expect(sequencer.next()).toBe((NOW + 5) * 1000)
    let time = NOW
    const stepsBack = new Sequencer({ now: () => time, setTimeout: () => 0, clearTimeout: () => {} })
    const a = stepsBack.next()
    time -= 60_000
    expect(stepsBack.next()).toBe(a + 1)
  })
})

describe('per-sender replay windows', () => {
  it('admit each seq of a sender once, in any order within the window', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), (seqs) => {
        const windows = new ReplayWindows(4, 8)
        for (const seq of seqs) expect(windows.admit('alice', seq)).toBe(true)
        for (const seq of seqs) expect(windows.admit('alice', seq)).toBe(false)
      }),
    )
  })

  it('refuse anything at or below the oldest seq they had to forget', () => {
    const windows = new ReplayWindows(4, 3)
    for (const seq of [10, 20, 30, 40]) expect(windows.admit('alice', seq)).toBe(true)
    // 10 was pushed out: it, and everything older, is refused from now on.
    expect(windows.fresh('alice', 10)).toBe(false)
    expect(windows.fresh('alice', 5)).toBe(false)
    expect(windows.fresh('alice', 15)).toBe(true)
  })

  it('keep senders apart, so one sender flooding its own window leaves another sender’s intact', () => {
    const windows = new ReplayWindows(4, 8)
    expect(windows.admit('alice', 7)).toBe(true)
    for (let seq = 1; seq <= 10_000; seq++) windows.admit('mallory', seq)
    expect(windows.admit('alice', 7)).toBe(false)
    expect(windows.size).toBe(2)
  })

  it('check without admitting, so a forgery checked first cannot block the real message', () => {
    const windows = new ReplayWindows(4, 8)
    expect(windows.fresh('alice', 9)).toBe(true)
    expect(windows.fresh('alice', 9)).toBe(true)
    expect(windows.admit('alice', 9)).toBe(true)
  })

  it('remember at most the given number of senders', () => {
    const windows = new ReplayWindows(3, 8)
    for (let i = 0; i < 10; i++) windows.admit(`sender ${i}`, 1)
    expect(windows.size).toBe(3)
  })
})

const platform = subtle()
/** noble, WebCrypto, then the lazily loaded noble (what a tab without the curves uses). */
const suites = (identity: NodeIdentity): AuthSuite[] => [nobleSuite(identity), ...(platform === undefined ? [] : [webCryptoSuite(identity, platform, true)]), lazyNobleSuite(identity)]

/** The platform's WebCrypto methods as plain functions, to override some in a test. */
function bound(subtle: SubtleLike): SubtleLike {
  return {
    generateKey: (...args) => subtle.generateKey(...args),
    exportKey: ((format: 'raw', key: object) => subtle.exportKey(format, key)) as SubtleLike['exportKey'],
    importKey: (...args) => subtle.importKey(...args),
    sign: (...args) => subtle.sign(...args),
    digest: (...args) => subtle.digest(...args),
    verify: (...args) => subtle.verify(...args),
    deriveBits: (...args) => subtle.deriveBits(...args),
  }
}

describe('the crypto suites (noble and WebCrypto)', () => {
  it('is WebCrypto here (Node 20 has native Ed25519 and X25519)', () => {
    expect(platform).toBeDefined()
  })

  it('make the same signatures and the same shared secrets, and each verifies the other', async () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const message = new TextEncoder().encode('the same bytes')
    const [nobleAlice, webAlice, lazyAlice] = suites(alice)
    const [nobleBob, webBob, lazyBob] = suites(bob)
    const signature = await nobleAlice!.sign(message)
    expect(await webAlice!.sign(message)).toEqual(signature)
    expect(await lazyAlice!.sign(message)).toEqual(signature)
    for (const suite of [nobleBob!, webBob!, lazyBob!]) {
      expect(await suite.verify(signature, message, alice.publicKey)).toBe(true)
      expect(await suite.verify(signature, Uint8Array.of(1), alice.publicKey)).toBe(false)
    }
    const secret = await nobleAlice!.sharedSecret(bob.publicKey)
    expect(secret).toHaveLength(32)
    expect(await webAlice!.sharedSecret(bob.publicKey)).toEqual(secret)
    expect(await nobleBob!.sharedSecret(alice.publicKey)).toEqual(secret)
    expect(await webBob!.sharedSecret(alice.publicKey)).toEqual(secret)
    expect(await lazyBob!.sharedSecret(alice.publicKey)).toEqual(secret)
  })

  it('WebCrypto without the curves falls back to noble (loaded then) and gives the same results; strict, it fails', async () => {
    if (platform === undefined) throw new Error('no WebCrypto here')
    const noCurves: SubtleLike = { ...bound(platform), importKey: () => Promise.reject(new Error('NotSupportedError: Ed25519')) }
    const [alice, bob] = [generateIdentity(), generateIdentity()]
    const message = Uint8Array.of(7, 7)
    const fallen = webCryptoSuite(alice, noCurves)
    expect(await fallen.sign(message)).toEqual(await nobleSuite(alice).sign(message))
    expect(await fallen.verify(await nobleSuite(bob).sign(message), message, bob.publicKey)).toBe(true)
    expect(await fallen.sharedSecret(bob.publicKey)).toEqual(await nobleSuite(bob).sharedSecret(alice.publicKey))
    await expect(webCryptoSuite(alice, noCurves, true).sign(message)).rejects.toThrow('NotSupportedError')
  })

  it('refuse a small-order public key, under which anyone can forge (WebCrypto alone would accept it)', async () => {
    // The identity point: with R = identity and S = 0, the signature "verifies" for any message.
    const identityPoint = ed25519.Point.ZERO.toBytes()
    const forged = new Uint8Array(SIGNATURE_BYTES)
    forged.set(identityPoint, 0)
    for (const suite of suites(generateIdentity())) {
      expect(await suite.verify(forged, Uint8Array.of(1, 2, 3), identityPoint)).toBe(false)
      expect(await suite.sharedSecret(identityPoint)).toBeUndefined()
    }
  })

  it('WebCrypto imports a public key once for any number of checks, and refuses an unusable one every time', async () => {
    if (platform === undefined) throw new Error('no WebCrypto here')
    let imports = 0
    const counting: SubtleLike = { ...bound(platform), importKey: (...args) => (imports++, platform.importKey(...args)) }
    const [alice, bob] = [generateIdentity(), generateIdentity()]
    const suite = webCryptoSuite(bob, counting, true)
    await suite.verify(new Uint8Array(SIGNATURE_BYTES), Uint8Array.of(0), bob.publicKey) // bob's own keys imported
    const own = imports
    const messages = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]
    for (const message of messages) expect(await suite.verify(await nobleSuite(alice).sign(message), message, alice.publicKey)).toBe(true)
    expect(await suite.verify(await nobleSuite(alice).sign(messages[0]!), messages[1]!, alice.publicKey)).toBe(false)
    expect(imports - own).toBe(1)
    const smallOrder = ed25519.Point.ZERO.toBytes()
    for (let i = 0; i < 2; i++) expect(await suite.verify(new Uint8Array(SIGNATURE_BYTES), messages[0]!, smallOrder)).toBe(false)
    expect(imports - own).toBe(1)
  })
})

interface Party {
  identity: NodeIdentity
  auth: RelayAuth
  keys: PeerKeys
  counters: Counters
  checks: { sign: number; verify: number; derive: number }
}

/** One node's RelayAuth, on a noble suite that counts its public-key operations. */
function party(clock: VirtualClock, idPuzzleBits = 0, presenceIntervalMs = 3_600_000): Party {
  const identity = generateIdentity()
  const inner = nobleSuite(identity)
  const checks = { sign: 0, verify: 0, derive: 0 }
  const suite: AuthSuite = {
    name: 'noble',
    sign: (m) => (checks.sign++, inner.sign(m)),
    verify: (s, m, k) => (checks.verify++, inner.verify(s, m, k)),
    sharedSecret: (k) => (checks.derive++, inner.sharedSecret(k)),
  }
  const keys = new PeerKeys(identity.id, suite, 16)
  const counters = new Counters()
  const auth = new RelayAuth({ identity, suite, keys, replay: new ReplayWindows(16, 8), clock, maxAgeMs: 60_000, idPuzzleBits, presenceIntervalMs, presenceMaxAgeMs: 30_000, maxPresences: 16, counters })
  return { identity, auth, keys, counters, checks }
}

let nextSeq = NOW * 1000
async function sealed(from: Party, to: Party, message = Uint8Array.of(1, 2, 3, 4), replyTo = 0): Promise<RelayFrame> {
  const seq = ++nextSeq
  const body = await from.auth.seal({ target: to.identity.id, seq, replyTo }, message)
  return { type: 'relay', hops: 8, kind: RelayKind.DHT, detoured: false, target: to.identity.id, origin: from.identity.id, seq, replyTo, body }
}

describe('an authenticated relay', () => {
  it('is signed to a node whose key the origin does not know, and MAC’d once it does', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob] = [party(clock), party(clock)]
    const first = await sealed(alice, bob)
    expect(first.body[0]).toBe(AuthMode.SIGNATURE)
    expect(first.body.length).toBe(1 + PUBLIC_KEY_BYTES + PRESENCE_BYTES + SIGNATURE_BYTES + 4)
    const opened = await bob.auth.open(first, () => true)
    expect(opened).toEqual({ ok: true, message: Uint8Array.of(1, 2, 3, 4), publicKey: alice.identity.publicKey })
    // Bob now knows Alice's key: his answer is MAC'd, and Alice checks it after one derivation.
    const answer = await sealed(bob, alice, Uint8Array.of(9), first.seq)
    expect(answer.body[0]).toBe(AuthMode.MAC)
    expect(answer.body.length).toBe(1 + PUBLIC_KEY_BYTES + PRESENCE_BYTES + MAC_TAG_BYTES + 1)
    expect((await alice.auth.open(answer, () => true)).ok).toBe(true)
    // From then on both ways are MAC'd with no public-key operation at all.
    const before = { ...alice.checks }
    const again = await sealed(alice, bob)
    expect(again.body[0]).toBe(AuthMode.MAC)
    expect((await bob.auth.open(again, () => false)).ok).toBe(true)
    expect(alice.checks).toEqual(before)
    expect(alice.counters.relaysSigned).toBe(1)
    expect(alice.counters.relaysMac).toBe(1)
  })

  it('seals and opens without waiting once the pair is MAC’d (the relay leaves in the same task)', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob] = [party(clock), party(clock)]
    // First contact: a signature and a derivation, so both wait.
    const first = alice.auth.seal({ target: bob.identity.id, seq: ++nextSeq, replyTo: 0 }, Uint8Array.of(1))
    expect(first).toBeInstanceOf(Promise)
    const frame: RelayFrame = { type: 'relay', hops: 8, kind: RelayKind.DHT, detoured: false, target: bob.identity.id, origin: alice.identity.id, seq: nextSeq, replyTo: 0, body: await first }
    const opening = bob.auth.open(frame, () => true)
    expect(opening).toBeInstanceOf(Promise)
    expect((await opening).ok).toBe(true)
    // Bob's answer is MAC'd (he derives the pair's keys for it); Alice derives them to check it.
    expect((await alice.auth.open(await sealed(bob, alice), () => true)).ok).toBe(true)
    // Now both ends hold the pair's keys: seal gives bytes and open a result, no promise.
    const seq = ++nextSeq
    const body = alice.auth.seal({ target: bob.identity.id, seq, replyTo: 0 }, Uint8Array.of(2))
    expect(body).toBeInstanceOf(Uint8Array)
    const opened = bob.auth.open({ ...frame, seq, body: body as Uint8Array }, () => false)
    expect(opened).toEqual({ ok: true, message: Uint8Array.of(2), publicKey: alice.identity.publicKey })
    // A forged tag is refused just as synchronously, and costs no token.
    const forged = Uint8Array.from(body as Uint8Array)
    forged[forged.length - 2]! ^= 1
    expect(bob.auth.open({ ...frame, seq: ++nextSeq, body: forged }, () => false)).toEqual({ ok: false, reason: 'bad-tag' })
  })

  it('carries a presence signed once every presenceIntervalMs, which a node on the way checks once per new one', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob, carol] = [party(clock, 0, 1000), party(clock), party(clock)]
    let tokens = 0
    const budget = (): boolean => (tokens++, true)
    const first = await sealed(alice, bob)
    expect(alice.counters.presencesSigned).toBe(1)
    expect(await carol.auth.checkOnTheWay(first, budget)).toBe(true)
    expect(carol.keys.publicKey(alice.identity.id)).toEqual(alice.identity.publicKey)
    expect([tokens, carol.checks.verify]).toEqual([1, 1])
    // MAC'd relays carry the same presence: nothing new to check or learn.
    expect((await bob.auth.open(first, () => true)).ok).toBe(true)
    await alice.auth.open(await sealed(bob, alice), () => true)
    const macd = await sealed(alice, bob)
    expect(macd.body[0]).toBe(AuthMode.MAC)
    // Answered at once, with no promise: most relays a node passes on cost it this much.
    expect(carol.auth.checkOnTheWay(macd, budget)).toBe(false)
    expect([tokens, carol.checks.verify]).toEqual([1, 1])
    // A second later the relay goes out at once with the old presence, and the next with a new one.
    await clock.advance(1000)
    const signs = alice.checks.sign
    expect(await carol.auth.checkOnTheWay(await sealed(alice, bob), budget)).toBe(false)
    const renewed = await sealed(alice, bob)
    expect([alice.counters.presencesSigned, alice.checks.sign - signs]).toEqual([2, 1])
    // Altered, or without a token: nothing learned; as sent: learned.
    const altered = Uint8Array.from(renewed.body)
    altered[1 + PUBLIC_KEY_BYTES + 8]! ^= 1
    expect(await carol.auth.checkOnTheWay({ ...renewed, body: altered }, budget)).toBe(false)
    expect(carol.counters.presencesRejected).toBe(1)
    expect(await carol.auth.checkOnTheWay(renewed, () => false)).toBe(false)
    expect(await carol.auth.checkOnTheWay(renewed, budget)).toBe(true)
    expect(carol.auth.checkOnTheWay(renewed, budget)).toBe(false)
    // Under another origin's ID, or older than the window: refused before any check.
    const checked = carol.checks.verify
    expect(await carol.auth.checkOnTheWay({ ...renewed, origin: bob.identity.id }, budget)).toBe(false)
    const dave = party(clock)
    await clock.advance(31_000)
    expect(await dave.auth.checkOnTheWay(renewed, budget)).toBe(false)
    expect(carol.checks.verify + dave.checks.verify).toBe(checked)
    expect((await bob.auth.open(renewed, () => true)).ok).toBe(true)
  })

  it('cannot be altered, redirected, moved to another origin, renumbered or replayed', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob, carol] = [party(clock), party(clock), party(clock)]
    // Carol knows Bob, so one frame of each mode is at hand.
    expect((await bob.auth.open(await sealed(carol, bob), () => true)).ok).toBe(true)
    for (const frame of [await sealed(alice, bob), await sealed(carol, bob), await sealed(carol, bob)]) {
      await fc.assert(
        // Any byte but the presence's, which is for the nodes on the way (the target ignores it).
        fc.asyncProperty(fc.nat(frame.body.length - 1 - PRESENCE_BYTES), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
          const body = Uint8Array.from(frame.body)
          body[at < 1 + PUBLIC_KEY_BYTES ? at : at + PRESENCE_BYTES]! ^= flip
          expect((await bob.auth.open({ ...frame, body }, () => true)).ok).toBe(false)
        }),
        { numRuns: 40 },
      )
      expect(await alice.auth.open({ ...frame, target: alice.identity.id }, () => true)).toMatchObject({ ok: false })
      expect(await bob.auth.open({ ...frame, seq: frame.seq + 1 }, () => true)).toEqual({ ok: false, reason: 'bad-tag' })
      expect(await bob.auth.open({ ...frame, replyTo: 5 }, () => true)).toEqual({ ok: false, reason: 'bad-tag' })
      expect(await bob.auth.open({ ...frame, origin: generateIdentity().id }, () => true)).toEqual({ ok: false, reason: 'bad-key' })
      expect((await bob.auth.open(frame, () => true)).ok).toBe(true)
      expect(await bob.auth.open(frame, () => true)).toEqual({ ok: false, reason: 'replayed' })
    }
  })

  it('is not accepted back by its own origin (each direction has its own MAC key)', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob] = [party(clock), party(clock)]
    await bob.auth.open(await sealed(alice, bob), () => true)
    await alice.auth.open(await sealed(bob, alice), () => true)
    const toBob = await sealed(alice, bob)
    expect(toBob.body[0]).toBe(AuthMode.MAC)
    // Reflected to Alice as if Bob had sent it to her.
    const reflected = { ...toBob, target: alice.identity.id, origin: bob.identity.id }
    const body = Uint8Array.from(toBob.body)
    body.set(bob.identity.publicKey, 1)
    expect(await alice.auth.open({ ...reflected, body }, () => true)).toEqual({ ok: false, reason: 'bad-tag' })
  })

  it('runs every cheap check before a public-key operation, and spends one only with a token', async () => {
    const clock = new VirtualClock(NOW)
    const [alice, bob, mallory] = [party(clock), party(clock), party(clock)]
    const frame = await sealed(alice, bob)
    const cases: [RelayFrame, string][] = [
      [{ ...frame, body: frame.body.subarray(0, 40) }, 'malformed'],
      [{ ...frame, body: Uint8Array.of(7, ...frame.body.subarray(1)) }, 'malformed'],
      [{ ...frame, origin: mallory.identity.id }, 'bad-key'],
      [{ ...frame, seq: frame.seq + 3_600_000_000 }, 'expired'],
    ]
    for (const [forged, reason] of cases) {
      expect(await bob.auth.open(forged, () => true)).toEqual({ ok: false, reason })
    }
    expect(await bob.auth.open(frame, () => false)).toEqual({ ok: false, reason: 'rate-limited' })
    expect(bob.checks).toEqual({ sign: 0, verify: 0, derive: 0 })
  })

  it('refuses an origin whose ID does not solve the puzzle, before any signature check', async () => {
    const clock = new VirtualClock(NOW)
    const bob = party(clock, 12)
    let alice = party(clock)
    while (meetsIdPuzzle(alice.identity.id, 12)) alice = party(clock)
    const frame = await sealed(alice, bob)
    const result = await bob.auth.open(frame, () => true)
    if (!result.ok) expect(result.reason).toBe('weak-id')
    else expect.fail('a weak ID was accepted')
    expect(bob.checks.verify).toBe(0)
  })
})
