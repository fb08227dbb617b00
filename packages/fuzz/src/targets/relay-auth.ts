/**
 * Authenticated relay bodies: `RelayAuth.open` on DHT relays for the victim, read from the bytes
 * with `parseFrame` as the transport does, and `RelayAuth.checkOnTheWay` on the same frames at a
 * bystander that passes them on. The frames are mutations of relays three signers really sealed
 * for the victim, signed and MAC'd, plus the same relays with their header changed on purpose
 * (another origin, a seq at the edge of the age limit, another target). One signature check in 4
 * gets a token from the budget, so refusals for the budget's sake are fuzzed too.
 */
import { idEquals, keyOf, VirtualClock } from '@browser-dht/kademlia'
import { SIGNATURE_BYTES } from '@browser-dht/identity'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import {
  AuthMode,
  DEFAULTS,
  MAC_TAG_BYTES,
  nobleSuite,
  PRESENCE_BYTES,
  parseFrame,
  PeerKeys,
  type RelayFrame,
  relayFrame,
  RelayAuth,
  ReplayWindows,
} from '@browser-dht/webrtc-transport/internals'
import { Counters } from '../../../webrtc-transport/src/stats.ts'
import { ByteInputs } from '../inputs/bytes.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showBytes } from '../target.ts'
import { transportLimits } from './frame-corpus.ts'
import { sealedRelays, signer } from './sealed.ts'

const SIGNERS = 3
/** The victim's clock when the relays were sealed (and while they are opened). */
const START_MS = 1_700_000_000_000
const AGE = DEFAULTS.maxAuthAgeMs

/** Where the tag starts in the body: after the mode, the key and the presence. */
const TAG_AT = 33 + PRESENCE_BYTES

type Opened = Awaited<ReturnType<RelayAuth['open']>>

/** An origin and the stamp of its presence in a body: what a presence says. */
function presenceClaim(origin: Uint8Array, body: Uint8Array): string {
  return `${Buffer.from(origin).toString('hex')}/${Buffer.from(body.subarray(33, 41)).toString('hex')}`
}

/**
 * What must hold of an accepted relay: the key in it hashes to its origin, it is within the age
 * limit, the message is the rest of the body after the key and tag, and no (origin, seq) is
 * accepted twice.
 */
function checkOpened(frame: RelayFrame, result: Opened, now: number, accepted: Set<string>): string {
  if (!result.ok) return result.reason
  invariant(idEquals(keyOf(result.publicKey), frame.origin), 'accepted a relay whose key is not its origin\'s')
  invariant(Math.abs(now - frame.seq / 1000) <= AGE, 'accepted an expired relay')
  const tag = frame.body[0] === AuthMode.MAC ? MAC_TAG_BYTES : SIGNATURE_BYTES
  invariant(result.message.length === frame.body.length - TAG_AT - tag, 'the message is not the rest of the body')
  const key = `${Buffer.from(frame.origin).toString('hex')}/${frame.seq}`
  invariant(!accepted.has(key), 'accepted the same relay twice (a replay)')
  accepted.add(key)
  return 'ok'
}

export const relayAuth: FuzzTarget = {
  name: 'relay-auth',
  boundary: 'RelayAuth.open (webrtc-transport/src/auth/relay-seal.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const clock = new VirtualClock(START_MS)
    const victim = identityFromSecretKey(rng.bytes(32))
    const node = (identity: typeof victim): RelayAuth => {
      const suite = nobleSuite(identity)
      return new RelayAuth({
        identity,
        suite,
        keys: new PeerKeys(identity.id, suite, 64),
        replay: new ReplayWindows(64, 64),
        clock,
        maxAgeMs: AGE,
        idPuzzleBits: 0,
        presenceIntervalMs: DEFAULTS.presenceIntervalMs,
        presenceMaxAgeMs: DEFAULTS.relayMemoryMs,
        maxPresences: 64,
        counters: new Counters(),
      })
    }
    const auth = node(victim)
    const bystander = node(identityFromSecretKey(rng.bytes(32)))
    const signers = Array.from({ length: SIGNERS }, () => signer(identityFromSecretKey(rng.bytes(32)), clock))
    const relays = (await Promise.all(signers.map((s) => sealedRelays(rng, s, victim.id, victim.publicKey)))).flat()
    // What the signers' presences really say; a node on the way may learn only these.
    const claims = new Set(relays.map((relay) => presenceClaim(relay.origin, relay.body)))
    const frames = relays.map((relay) => relayFrame({ ...relay, hops: 8, detoured: false, replyTo: 0 }))
    const limits = transportLimits()
    // The body's edges: empty, a mode byte, the key, the presence, a MAC or a signature, the limit.
    const header = frames[0]!.length - relays[0]!.body.length
    const edges = [0, 1, 33, TAG_AT - 1, TAG_AT, TAG_AT + MAC_TAG_BYTES, TAG_AT + SIGNATURE_BYTES, limits.maxRelayBodyBytes]
    const inputs = new ByteInputs(rng, { valid: frames, lengths: edges.map((n) => header + n) })
    /** A sealed relay with one header field changed on purpose (the tag then no longer covers it). */
    const edited = (): RelayFrame => {
      const relay = { ...rng.pick(relays), type: 'relay' as const, hops: 8, detoured: false, replyTo: 0 }
      const edge = (START_MS + rng.pick([-AGE - 1, -AGE, AGE, AGE + 1])) * 1000
      const field = rng.int(4)
      if (field === 0) return { ...relay, origin: rng.pick(signers).identity.id }
      if (field === 1) return { ...relay, seq: rng.chance(0.5) ? edge : rng.pick([0, 1, Number.MAX_SAFE_INTEGER]) }
      if (field === 2) return { ...relay, target: rng.bytes(20) }
      return { ...relay, replyTo: 1 + rng.int(2 ** 40) }
    }
    const accepted = new Set<string>()
    let last: Uint8Array = new Uint8Array(0)
    return {
      async feed() {
        let frame: RelayFrame
        if (rng.chance(0.15)) {
          frame = edited()
          last = relayFrame(frame)
        } else {
          // Mostly mutations: random headers are the frame parser's target, not this one's.
          last = rng.chance(0.9) ? inputs.mutated() : inputs.random()
          const parsed = parseFrame(last, limits.maxMessageBytes, limits.maxRelayBodyBytes)
          if (!parsed.ok || parsed.frame.type !== 'relay') return 'not a relay frame'
          frame = parsed.frame
        }
        if (await bystander.checkOnTheWay(frame, () => rng.chance(1 / 4))) {
          invariant(claims.has(presenceClaim(frame.origin, frame.body)), 'learned a way back from a presence its origin never signed')
        }
        return checkOpened(frame, await auth.open(frame, () => rng.chance(1 / 4)), clock.now(), accepted)
      },
      lastInput: () => showBytes(last),
      finish: async () => [],
      close: async () => {},
    }
  },
}
