/**
 * A presence: an origin's signed statement "I am <origin>, at <stamp>", carried in every DHT relay
 * it sends (relay-seal.ts), so that the nodes a relay passes on the way, which cannot check the
 * relay's MAC, can check who sent it and learn the way back to its origin (routes.ts, reverse
 * hints). Without it a node on the way could learn nothing it could trust, and relays took 15-20 %
 * more hops.
 *
 *   presence = stamp u64 (the origin's clock, ms) | ed25519 signature of PRESENCE_DOMAIN ‖ origin ‖ stamp
 *
 * The origin signs a new one once the last is `presenceIntervalMs` old, in the background: no relay
 * waits for a signature but the very first. A node on the way verifies a presence only when it is
 * newer than the newest it holds for that origin, so it spends at most one check per origin per
 * interval (and a token from a budget of its own, see the transport), and each presence teaches one
 * route: the first relay that brings it. A presence proves the origin was there lately, not that
 * this relay is the origin's: a node that saw one may bring it first elsewhere, and attract the
 * traffic it could drop anyway (SECURITY.md), until the origin's next presence.
 */
import { BoundedMap, type Clock, type Id, ID_BYTES, idKey } from '@browser-dht/kademlia'
import { type NodeIdentity, SIGNATURE_BYTES } from '@browser-dht/identity'
import { readU64, writeU64 } from '../wire/frames.ts'
import type { Counters } from '../stats.ts'
import type { PeerKeys } from './peer-keys.ts'
import type { AuthSuite } from './suite.ts'

/** Bytes of a presence in a relay body. */
export const PRESENCE_BYTES = 8 + SIGNATURE_BYTES
/** Prefixed to what a presence signs, so its signature means nothing in any other protocol. */
export const PRESENCE_DOMAIN = 'browser-dht/presence/v1\n'

const DOMAIN_BYTES = new TextEncoder().encode(PRESENCE_DOMAIN)

/** What a presence signs: the domain, the origin and the stamp. */
function presenceData(origin: Id, stamp: number): Uint8Array {
  const out = new Uint8Array(DOMAIN_BYTES.length + ID_BYTES + 8)
  out.set(DOMAIN_BYTES)
  out.set(origin, DOMAIN_BYTES.length)
  writeU64(new DataView(out.buffer), DOMAIN_BYTES.length + ID_BYTES, stamp)
  return out
}

/** This node's own presence, signed anew once it is `intervalMs` old. */
export class OwnPresence {
  readonly #identity: NodeIdentity
  readonly #suite: AuthSuite
  readonly #clock: Clock
  readonly #intervalMs: number
  readonly #counters: Counters
  #current: { stamp: number; bytes: Uint8Array } | undefined
  #signing: Promise<Uint8Array> | undefined

  /** `counters` counts `presencesSigned`. */
  constructor(init: { identity: NodeIdentity; suite: AuthSuite; clock: Clock; intervalMs: number; counters: Counters }) {
    this.#identity = init.identity
    this.#suite = init.suite
    this.#clock = init.clock
    this.#intervalMs = init.intervalMs
    this.#counters = init.counters
  }

  /**
   * The presence to put in a relay now, if this node signed one yet: the current one, while a
   * newer one is signed in the background once it is due. Synchronous, so that a relay waits for
   * nothing but the very first signature (`bytes`).
   */
  current(): Uint8Array | undefined {
    const current = this.#current
    if (current === undefined || this.#clock.now() - current.stamp >= this.#intervalMs) this.#startSigning()
    return current?.bytes
  }

  /** The presence to put in a relay now, waiting for the first signature if there is none yet. */
  async bytes(): Promise<Uint8Array> {
    return this.current() ?? (await this.#startSigning())
  }

  /** The signing under way, started if none is; a failure is the caller's to see, not unhandled. */
  #startSigning(): Promise<Uint8Array> {
    if (this.#signing === undefined) {
      this.#signing = this.#sign()
      this.#signing.catch(() => undefined)
    }
    return this.#signing
  }

  async #sign(): Promise<Uint8Array> {
    try {
      const stamp = Math.floor(this.#clock.now())
      const signature = await this.#suite.sign(presenceData(this.#identity.id, stamp))
      const bytes = new Uint8Array(PRESENCE_BYTES)
      writeU64(new DataView(bytes.buffer), 0, stamp)
      bytes.set(signature, 8)
      this.#current = { stamp, bytes }
      this.#counters.presencesSigned++
      return bytes
    } finally {
      this.#signing = undefined
    }
  }
}

export interface PresenceChecksInit {
  /** Counts `presencesRejected`. */
  counters: Counters
  suite: AuthSuite
  keys: PeerKeys
  clock: Clock
  idPuzzleBits: number
  /** A presence whose stamp is further than this from this node's clock teaches nothing. */
  maxAgeMs: number
  /** Origins whose newest presence this node remembers. */
  capacity: number
}

/** The presences this node checked on the way: the newest per origin. */
export class PresenceChecks {
  readonly #o: PresenceChecksInit
  readonly #newest: BoundedMap<number>

  constructor(init: PresenceChecksInit) {
    this.#o = init
    this.#newest = new BoundedMap(init.capacity)
  }

  /**
   * True when `presence` is `origin`'s, fresh, and newer than any this node checked for it: then
   * the peer that brought it leads back to the origin. Cheap checks first, answered at once (most
   * relays bring a presence this node checked already); `budget` is asked for a token before the
   * signature check, whose answer is a promise. Never throws or rejects.
   */
  check(origin: Id, publicKey: Uint8Array, presence: Uint8Array, budget: () => boolean): false | Promise<boolean> {
    const { keys, clock, idPuzzleBits, maxAgeMs } = this.#o
    if (presence.length !== PRESENCE_BYTES) return false
    const stamp = readU64(new DataView(presence.buffer, presence.byteOffset, presence.length), 0)
    if (stamp === undefined || Math.abs(clock.now() - stamp) > maxAgeMs) return false
    const key = idKey(origin)
    const newest = this.#newest.get(key)
    if (newest !== undefined && stamp <= newest) return false
    if (keys.vouch(origin, publicKey, idPuzzleBits) !== 'ok') return false
    if (!budget()) return false
    return this.#verify(origin, key, stamp, publicKey, presence)
  }

  async #verify(origin: Id, key: string, stamp: number, publicKey: Uint8Array, presence: Uint8Array): Promise<boolean> {
    if (!(await this.#o.suite.verify(presence.subarray(8), presenceData(origin, stamp), publicKey))) {
      this.#o.counters.presencesRejected++
      return false
    }
    // Another check of a newer one may have finished meanwhile.
    const now = this.#newest.get(key)
    if (now !== undefined && stamp <= now) return false
    this.#newest.remember(key, stamp)
    this.#o.keys.learn(origin, publicKey)
    return true
  }
}
