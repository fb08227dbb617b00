/**
 * End-to-end authentication of a relayed DHT message: the body of a RELAY frame of kind DHT.
 *
 *   mode u8 | origin's ed25519 public key 32 | presence 72 | tag | the encoded DHT message
 *   mode 0: tag = ed25519 signature (64) by the origin's key
 *   mode 1: tag = HMAC-SHA256 (first 16 bytes) under the pair's MAC key, origin → target (peer-keys.ts)
 *
 * The tag covers AUTH_DOMAIN ‖ mode ‖ target ‖ origin ‖ seq ‖ replyTo ‖ message, so a relay
 * cannot alter the message, redirect it to another target, move it to another origin or give it
 * another sequence number; it can only drop it. The origin's ID is the SHA-1 of the key in the
 * frame, so the key is the origin's (and only the holder of its secret can sign under it or
 * compute the MAC key). The origin signs when it does not know the target's public key yet (the
 * first message to a node it only heard named), and MACs every later message: a MAC costs
 * microseconds, a signature check tens to hundreds (RELAY.md has the measurements).
 *
 * The presence (presence.ts) is the origin's signed "I was here lately", checked only by the nodes
 * on the way (who cannot check a MAC) to learn the way back to the origin; the target ignores it.
 *
 * Checks on arrival, cheapest first, so that junk costs no public-key operation: the body's
 * shape, SHA-1(key) = origin, the ID puzzle, the age of `seq`, replay (per sender), then a token
 * from the budget of the link it came on, and only then the signature or the MAC key's
 * derivation. `RelayAuth.open` is the one function that reads this body at its target, and
 * `RelayAuth.checkOnTheWay` on the way.
 */
import { type Clock, ID_BYTES, idKey } from '@browser-dht/kademlia'
import { type NodeIdentity, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '@browser-dht/identity'
import { type RelayFrame, type RelayId, writeU64 } from '../wire/frames.ts'
import type { Counters } from '../stats.ts'
import { type KeyedMac, sameTag } from './mac.ts'
import type { PeerKeys } from './peer-keys.ts'
import { OwnPresence, PRESENCE_BYTES, PresenceChecks } from './presence.ts'
import type { ReplayWindows } from './replay.ts'
import { seqTimeMs } from './sequencer.ts'
import type { AuthSuite } from './suite.ts'

export const AuthMode = { SIGNATURE: 0, MAC: 1 } as const
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode]

/** Bytes of a MAC tag (HMAC-SHA256 truncated, as RFC 2104 allows down to half the output). */
export const MAC_TAG_BYTES = 16
/** Most bytes the authentication adds to a DHT message (a signed one). */
export const AUTH_OVERHEAD_BYTES = 1 + PUBLIC_KEY_BYTES + PRESENCE_BYTES + SIGNATURE_BYTES
/** Where the tag starts in the body. */
const TAG_AT = 1 + PUBLIC_KEY_BYTES + PRESENCE_BYTES
/** Prefixed to what is signed or MAC'd, so a tag means nothing in any other protocol. */
export const AUTH_DOMAIN = 'browser-dht/relay/v1\n'

/** Why an authenticated relay was not accepted (counted per reason in `relaysRejected`). */
export const RELAY_REJECTIONS = ['malformed', 'bad-key', 'weak-id', 'expired', 'replayed', 'rate-limited', 'bad-tag'] as const
export type RelayRejection = (typeof RELAY_REJECTIONS)[number]

const DOMAIN_BYTES = new TextEncoder().encode(AUTH_DOMAIN)
const HEADER_BYTES = DOMAIN_BYTES.length + 1 + 2 * ID_BYTES + 16

/** What the tag covers before the message: the domain, mode, target, origin, seq and replyTo. */
function authHeader(mode: AuthMode, relay: RelayId & { replyTo: number }): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  let at = DOMAIN_BYTES.length
  out.set(DOMAIN_BYTES)
  out[at++] = mode
  out.set(relay.target, at)
  out.set(relay.origin, at + ID_BYTES)
  at += 2 * ID_BYTES
  writeU64(view, at, relay.seq)
  writeU64(view, at + 8, relay.replyTo)
  return out
}

/** Everything the tag covers, in one buffer (what a signature takes). */
function authData(mode: AuthMode, relay: RelayId & { replyTo: number }, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + message.length)
  out.set(authHeader(mode, relay))
  out.set(message, HEADER_BYTES)
  return out
}

/** The MAC of header and message, fed in two parts so the message is not copied. */
function macTag(key: KeyedMac, relay: RelayId & { replyTo: number }, message: Uint8Array): Uint8Array {
  return key.tag(authHeader(AuthMode.MAC, relay), message).subarray(0, MAC_TAG_BYTES)
}

export type OpenResult = { ok: true; message: Uint8Array; publicKey: Uint8Array } | { ok: false; reason: RelayRejection }

export interface RelayAuthInit {
  identity: NodeIdentity
  suite: AuthSuite
  keys: PeerKeys
  replay: ReplayWindows
  clock: Clock
  /** A relay whose seq is further than this from this node's clock is refused (`expired`). */
  maxAgeMs: number
  idPuzzleBits: number
  /** This node signs a new presence once its last is this old (presence.ts). */
  presenceIntervalMs: number
  /** A presence further than this from this node's clock teaches a node on the way nothing. */
  presenceMaxAgeMs: number
  /** Origins whose newest presence a node on the way remembers. */
  maxPresences: number
  /** Counts `relaysSigned`, `relaysMac`, `presencesSigned` and `presencesRejected`. */
  counters: Counters
}

export class RelayAuth {
  readonly #o: RelayAuthInit
  readonly #presence: OwnPresence
  readonly #presences: PresenceChecks

  constructor(init: RelayAuthInit) {
    this.#o = init
    const { identity, suite, clock, keys, idPuzzleBits, counters } = init
    this.#presence = new OwnPresence({ identity, suite, clock, intervalMs: init.presenceIntervalMs, counters })
    this.#presences = new PresenceChecks({ counters, suite, keys, clock, idPuzzleBits, maxAgeMs: init.presenceMaxAgeMs, capacity: init.maxPresences })
  }

  /**
   * The body of a DHT relay from this node: MAC'd when the target's key is known, else signed.
   * Synchronous when the pair's MAC keys are derived and this node has a presence (every relay
   * but a pair's first), so the relay leaves at once; else a promise.
   */
  seal(relay: Omit<RelayId, 'origin'> & { replyTo: number }, message: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const { identity, keys, counters } = this.#o
    const ready = keys.ready(relay.target)
    const presence = this.#presence.current()
    if (ready === undefined || presence === undefined) return this.#sealAfterWaiting(relay, message)
    counters.relaysMac++
    return this.#body(AuthMode.MAC, presence, macTag(ready.send, { ...relay, origin: identity.id }, message), message)
  }

  /** `seal` when a public-key operation comes first: the pair's key derivation, a signature, or the first presence. */
  async #sealAfterWaiting(relay: Omit<RelayId, 'origin'> & { replyTo: number }, message: Uint8Array): Promise<Uint8Array> {
    const { identity, keys, suite, counters } = this.#o
    const ids = { ...relay, origin: identity.id }
    const targetKey = keys.publicKey(relay.target)
    const macKeys = targetKey === undefined ? undefined : await keys.macKeys(relay.target, targetKey)
    const presence = await this.#presence.bytes()
    if (macKeys === undefined) {
      counters.relaysSigned++
      return this.#body(AuthMode.SIGNATURE, presence, await suite.sign(authData(AuthMode.SIGNATURE, ids, message)), message)
    }
    counters.relaysMac++
    return this.#body(AuthMode.MAC, presence, macTag(macKeys.send, ids, message), message)
  }

  #body(mode: AuthMode, presence: Uint8Array, tag: Uint8Array, message: Uint8Array): Uint8Array {
    const out = new Uint8Array(TAG_AT + tag.length + message.length)
    out[0] = mode
    out.set(this.#o.identity.publicKey, 1)
    out.set(presence, 1 + PUBLIC_KEY_BYTES)
    out.set(tag, TAG_AT)
    out.set(message, TAG_AT + tag.length)
    return out
  }

  /**
   * Checks a DHT relay addressed to this node (cheap checks first, see above) and admits its seq.
   * Synchronous for a MAC under a pair key already derived (most relays); else, after a token
   * from `budget` (without one the relay is refused as `rate-limited`), a promise of the
   * signature check or the key derivation. Never throws or rejects.
   */
  open(frame: RelayFrame, budget: () => boolean): OpenResult | Promise<OpenResult> {
    const { body, origin, seq } = frame
    const { keys, replay, clock, maxAgeMs, idPuzzleBits } = this.#o
    const mode = body[0]
    if (mode !== AuthMode.SIGNATURE && mode !== AuthMode.MAC) return { ok: false, reason: 'malformed' }
    const tagBytes = mode === AuthMode.SIGNATURE ? SIGNATURE_BYTES : MAC_TAG_BYTES
    if (body.length < TAG_AT + tagBytes) return { ok: false, reason: 'malformed' }
    const publicKey = body.subarray(1, 1 + PUBLIC_KEY_BYTES)
    const vouched = keys.vouch(origin, publicKey, idPuzzleBits)
    if (vouched !== 'ok') return { ok: false, reason: vouched }
    if (Math.abs(clock.now() - seqTimeMs(seq)) > maxAgeMs) return { ok: false, reason: 'expired' }
    const sender = idKey(origin)
    if (!replay.fresh(sender, seq)) return { ok: false, reason: 'replayed' }
    const tag = body.subarray(TAG_AT, TAG_AT + tagBytes)
    const message = body.subarray(TAG_AT + tagBytes)
    const ready = mode === AuthMode.MAC ? keys.ready(origin) : undefined
    if (ready !== undefined) return this.#admit(frame, sender, publicKey, message, sameTag(tag, macTag(ready.receive, frame, message)))
    if (!budget()) return { ok: false, reason: 'rate-limited' }
    return this.#checkAfterWaiting(frame, sender, mode, publicKey, tag, message)
  }

  /** `open` when the tag needs a public-key operation first: a signature check, or the pair's key derivation. */
  async #checkAfterWaiting(frame: RelayFrame, sender: string, mode: AuthMode, publicKey: Uint8Array, tag: Uint8Array, message: Uint8Array): Promise<OpenResult> {
    const { keys, suite } = this.#o
    let valid: boolean
    if (mode === AuthMode.SIGNATURE) {
      valid = await suite.verify(tag, authData(mode, frame, message), publicKey)
    } else {
      const macKeys = await keys.macKeys(frame.origin, publicKey)
      valid = macKeys !== undefined && sameTag(tag, macTag(macKeys.receive, frame, message))
    }
    return this.#admit(frame, sender, publicKey, message, valid)
  }

  /** The end of `open`: a valid tag admits the seq (unless a copy got in meanwhile) and teaches the key. */
  #admit(frame: RelayFrame, sender: string, publicKey: Uint8Array, message: Uint8Array, valid: boolean): OpenResult {
    if (!valid) return { ok: false, reason: 'bad-tag' }
    if (!this.#o.replay.admit(sender, frame.seq)) return { ok: false, reason: 'replayed' }
    this.#o.keys.learn(frame.origin, publicKey)
    return { ok: true, message, publicKey }
  }

  /**
   * Checks the presence in a DHT relay this node passes on for others: true when it is the
   * origin's, fresh, and newer than any this node checked for that origin (presence.ts); then the
   * peer that brought it leads back to the origin. False at once for most relays (a presence
   * already checked); a promise when the signature needs checking, after a token from `budget`.
   * Never throws or rejects.
   */
  checkOnTheWay(frame: RelayFrame, budget: () => boolean): false | Promise<boolean> {
    const { body, origin } = frame
    if ((body[0] !== AuthMode.SIGNATURE && body[0] !== AuthMode.MAC) || body.length < TAG_AT) return false
    return this.#presences.check(origin, body.subarray(1, 1 + PUBLIC_KEY_BYTES), body.subarray(1 + PUBLIC_KEY_BYTES, TAG_AT), budget)
  }
}
