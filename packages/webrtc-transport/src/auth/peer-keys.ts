/**
 * What this node knows of other nodes' keys: each one's ed25519 public key (learned from a
 * signed signal or an authenticated relay, never from hearsay) and, derived from it once, the two
 * MAC keys of the pair:
 *
 *   shared   = X25519(this node's key, the peer's key)            (AuthSuite.sharedSecret)
 *   send key = HKDF-SHA256(shared, salt MAC_SALT, info "mac" ‖ this ID ‖ peer ID)   (32 bytes)
 *   recv key = HKDF-SHA256(shared, salt MAC_SALT, info "mac" ‖ peer ID ‖ this ID)
 *
 * so each direction has its own key and a frame cannot be reflected back to its sender. At most
 * `capacity` peers are remembered, least recently learned forgotten first; a forgotten peer's
 * next MAC'd frame carries its public key, so it costs one derivation again, never a failure.
 */
import { BoundedMap, compareBytes, type Id, idEquals, idKey, keyOf, meetsIdPuzzle } from '@browser-dht/kademlia'
import { hkdfSha256, type KeyedMac, keyedMac } from './mac.ts'
import type { AuthSuite } from './suite.ts'

const encoder = new TextEncoder()
const MAC_SALT = encoder.encode('browser-dht/relay-mac/v1')
const MAC_INFO = encoder.encode('mac')
export const MAC_KEY_BYTES = 32

export interface MacKeys {
  /** MACs frames from this node to the peer. */
  send: KeyedMac
  /** Checks frames from the peer to this node. */
  receive: KeyedMac
}

interface PeerKey {
  publicKey: Uint8Array
  /** Settles once; undefined when the key turned out unusable (small order, not a point). */
  macKeys?: Promise<MacKeys | undefined>
  /** Set once `macKeys` resolved to keys: checking a frame then costs no public-key operation. */
  ready?: MacKeys
}

export class PeerKeys {
  readonly #self: Id
  readonly #suite: AuthSuite
  readonly #peers: BoundedMap<PeerKey>
  /** Diffie-Hellman derivations done (each is one public-key operation). */
  derivations = 0

  constructor(self: Id, suite: AuthSuite, capacity: number) {
    this.#self = self
    this.#suite = suite
    this.#peers = new BoundedMap(capacity)
  }

  get size(): number {
    return this.#peers.size
  }

  /**
   * Whether `publicKey`, carried by a frame that claims to be from `id`, may be `id`'s: its SHA-1
   * is `id` (else `bad-key`) and `id` solves the ID puzzle of `puzzleBits` (else `weak-id`). The
   * key this node learned for `id` passed both already, so it costs no SHA-1.
   */
  vouch(id: Id, publicKey: Uint8Array, puzzleBits: number): 'ok' | 'bad-key' | 'weak-id' {
    const known = this.publicKey(id)
    if (known !== undefined && compareBytes(known, publicKey) === 0) return 'ok'
    if (!idEquals(keyOf(publicKey), id)) return 'bad-key'
    return meetsIdPuzzle(id, puzzleBits) ? 'ok' : 'weak-id'
  }

  /** `id`'s public key, if this node has learned it. */
  publicKey(id: Id): Uint8Array | undefined {
    return this.#peers.get(idKey(id))?.publicKey
  }

  /**
   * Remembers `publicKey` as `id`'s (the caller checked that `id` is its SHA-1 and solves the
   * puzzle, and authenticated it): a frame from `id` carrying the same key needs neither check again.
   */
  learn(id: Id, publicKey: Uint8Array): void {
    const key = idKey(id)
    if (this.#peers.get(key) === undefined) this.#peers.remember(key, { publicKey: Uint8Array.from(publicKey) })
  }

  /** The MAC keys with `id`, if derived already (no public-key operation needed). */
  ready(id: Id): MacKeys | undefined {
    return this.#peers.get(idKey(id))?.ready
  }

  /**
   * The MAC keys with `id`, whose public key is `publicKey` (its SHA-1 is `id`: the caller
   * checked). Derived at most once per remembered peer; undefined for an unusable key.
   */
  macKeys(id: Id, publicKey: Uint8Array): Promise<MacKeys | undefined> {
    const key = idKey(id)
    let peer = this.#peers.get(key)
    if (peer === undefined) {
      peer = { publicKey: Uint8Array.from(publicKey) }
      this.#peers.remember(key, peer)
    }
    const entry = peer
    entry.macKeys ??= this.#derive(id, publicKey).then((keys) => {
      entry.ready = keys
      return keys
    })
    return entry.macKeys
  }

  async #derive(id: Id, publicKey: Uint8Array): Promise<MacKeys | undefined> {
    this.derivations++
    const shared = await this.#suite.sharedSecret(publicKey)
    if (shared === undefined) return undefined
    const info = (from: Id, to: Id): Uint8Array => Uint8Array.from([...MAC_INFO, ...from, ...to])
    const key = async (from: Id, to: Id): Promise<KeyedMac> => keyedMac(await hkdfSha256(shared, MAC_SALT, info(from, to)))
    const [send, receive] = await Promise.all([key(this.#self, id), key(id, this.#self)])
    return { send, receive }
  }
}
