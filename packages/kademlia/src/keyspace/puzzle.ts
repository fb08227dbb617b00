/**
 * IDs that cost work to choose: S/Kademlia's static puzzle. A node ID is the SHA-1 of its public
 * key, and it is valid only when the SHA-1 of the ID itself starts with `bits` zero bits. Finding
 * a key whose ID passes takes about 2^bits key generations, once per identity; anyone checks it
 * in O(1) (one SHA-1 of 20 bytes) wherever an ID is first accepted. An attacker who wants an ID
 * sharing m leading bits with a given key must generate about 2^(m + bits) keys, where without
 * the puzzle 2^m would do (SECURITY.md has the figures).
 *
 * The puzzle is the network's, not a node's: every node of one network checks the same `bits`
 * (`DEFAULT_ID_PUZZLE_BITS` unless configured). The core itself only checks IDs; the key pairs
 * and their search live with the identity (the WebRTC transport's `createIdentity`).
 */
import { sha1 } from './sha1.ts'
import { BoundedMap } from '../platform/bounded-map.ts'
import { type Id, idKey } from './id.ts'

/**
 * The network's puzzle difficulty: leading zero bits of SHA-1(ID). 2^13 tries take a current
 * Chromium tab about half a second on average (WebCrypto key generation, SECURITY.md).
 */
export const DEFAULT_ID_PUZZLE_BITS = 13

/** Most bits a puzzle may ask for (beyond this, honest nodes could not find an ID at all). */
export const MAX_ID_PUZZLE_BITS = 32

/** How many leading zero bits the SHA-1 of `id` has (0–160). */
export function puzzleBitsOf(id: Id): number {
  const hash = sha1(id)
  let bits = 0
  for (const byte of hash) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24
    bits += 8
  }
  return bits
}

/** True when `id` solves the puzzle of difficulty `bits` (always, for 0). */
export function meetsIdPuzzle(id: Id, bits: number): boolean {
  return bits <= 0 || puzzleBitsOf(id) >= bits
}

/** IDs whose puzzle a node remembers having checked (pass or fail), so a lookup that meets them again costs no SHA-1. */
export const PUZZLE_CHECKS_REMEMBERED = 4096

/**
 * One node's checks of the ID puzzle, the last `capacity` remembered: a lookup meets the same
 * few IDs over and over (each answer names k), and a SHA-1 in JavaScript costs tens of µs
 * until the engine has optimized it, which a tab's sporadic lookups never let it do.
 */
export class PuzzleChecks {
  readonly #bits: number
  readonly #checked: BoundedMap<boolean>
  /** SHA-1s done: IDs checked that were not remembered. */
  hashed = 0

  constructor(bits: number, capacity = PUZZLE_CHECKS_REMEMBERED) {
    this.#bits = bits
    this.#checked = new BoundedMap(capacity)
  }

  /** True when `id` solves the puzzle (always, for 0 bits). */
  solves(id: Id): boolean {
    if (this.#bits <= 0) return true
    const key = idKey(id)
    let solves = this.#checked.get(key)
    if (solves === undefined) {
      solves = meetsIdPuzzle(id, this.#bits)
      this.hashed++
      this.#checked.remember(key, solves)
    }
    return solves
  }
}
