/**
 * The routing table: 160 k-buckets indexed by the length of the common prefix with our own ID.
 *
 * Why fixed buckets rather than splitting: splitting the bucket that holds our own ID produces
 * exactly these buckets (one per prefix length), only lazily. Without the paper's relaxed
 * splitting the two hold the same contacts, and the fixed layout finds a bucket with one
 * count-leading-zeros instead of a tree walk. Buckets are allocated on first use, so an empty
 * bucket costs nothing.
 *
 * The table does no I/O. Liveness comes in from the node: `heard` when a message arrives,
 * `failed` when a request times out. A full bucket answers `heard` with the oldest contact,
 * which the node pings; only if that ping fails is the oldest replaced (ping-before-evict).
 *
 * A failure is proven (the request went on a channel only the contact answers on) or unproven
 * (it went through a relay, or a relay reported it undeliverable: whoever is in between may lie).
 * An unproven failure alone never removes a contact: it needs a second failure in a row.
 */
import { commonPrefixLength, compareDistance, distancePrefix, ID_BITS, idEquals, type Id } from '../keyspace/id.ts'
import { type Contact, KBucket } from './k-bucket.ts'

export interface RoutingTableOptions {
  /** Our own ID. */
  self: Id
  /** Contacts per bucket (Kademlia's k). */
  k: number
  /** Replacement candidates kept per full bucket. */
  replacementCacheSize: number
  /** Failures in a row after which a contact is dropped even with no replacement waiting. */
  staleLimit: number
}

export type HeardResult =
  | { kind: 'self' }
  | { kind: 'updated'; contact: Contact }
  | { kind: 'added'; contact: Contact }
  /** The bucket is full: `id` waits in the replacement cache; ping `oldest` to decide. */
  | { kind: 'full'; oldest: Contact }

export type FailedResult =
  | { kind: 'unknown' }
  | { kind: 'stale'; contact: Contact }
  | { kind: 'removed'; contact: Contact; replacement: Contact | undefined }

export interface BucketView {
  index: number
  contacts: readonly Contact[]
  replacements: number
}

export class RoutingTable {
  readonly self: Id
  readonly #options: RoutingTableOptions
  readonly #buckets: (KBucket | undefined)[] = new Array(ID_BITS).fill(undefined)
  #size = 0

  constructor(options: RoutingTableOptions) {
    this.#options = options
    this.self = options.self
  }

  /** Number of contacts (replacement candidates not counted). */
  get size(): number {
    return this.#size
  }

  /** The bucket index of `id`: the length of its common prefix with our own ID (160 for self). */
  bucketIndex(id: Id): number {
    return commonPrefixLength(this.self, id)
  }

  get(id: Id): Contact | undefined {
    const bucket = this.#buckets[this.bucketIndex(id)]
    if (bucket === undefined) return undefined
    const index = bucket.indexOf(id)
    return index < 0 ? undefined : bucket.contacts[index]
  }

  has(id: Id): boolean {
    return this.get(id) !== undefined
  }

  /** Records that a message from `id` arrived at clock time `now`. */
  heard(id: Id, now: number): HeardResult {
    const index = this.bucketIndex(id)
    if (index === ID_BITS) return { kind: 'self' }
    const bucket = this.#bucket(index)
    const at = bucket.indexOf(id)
    if (at >= 0) return { kind: 'updated', contact: bucket.touch(at, now) }
    if (!bucket.isFull) {
      const contact: Contact = { id, lastSeen: now, failures: 0 }
      bucket.contacts.push(contact)
      this.#size++
      return { kind: 'added', contact }
    }
    bucket.cacheReplacement(id, now)
    return { kind: 'full', oldest: bucket.contacts[0]! }
  }

  /**
   * Records that a request to `id` failed. A proven failure (the default) replaces the contact at
   * once when a replacement is waiting, and drops it without one after `staleLimit` failures in a
   * row. An unproven failure counts the same (so the contact is no longer vouched for) but cannot
   * remove the contact on its first failure in a row: only from the second one on, under the
   * same rules. So a relay that forges one UNDELIVERABLE cannot evict a live contact.
   */
  failed(id: Id, options: { proven: boolean; now?: number } = { proven: true }): FailedResult {
    const bucket = this.#buckets[this.bucketIndex(id)]
    const at = bucket?.indexOf(id) ?? -1
    if (bucket === undefined || at < 0) return { kind: 'unknown' }
    const contact = bucket.contacts[at]!
    contact.failures++
    const spared = !options.proven && contact.failures < 2
    // A spared failure does not make the contact rest either (the node's failedContactRestMs).
    if (!spared && options.now !== undefined) contact.failedAt = options.now
    if (spared || (bucket.replacements.length === 0 && contact.failures < this.#options.staleLimit)) {
      return { kind: 'stale', contact }
    }
    const replacement = bucket.removeAt(at)
    if (replacement === undefined) this.#size--
    return { kind: 'removed', contact, replacement }
  }

  /**
   * Removes `id` (for a peer that said goodbye or is known to be gone), from the contacts and from
   * the replacement cache, so that it is not promoted later; a waiting replacement takes its place.
   */
  remove(id: Id): FailedResult {
    const bucket = this.#buckets[this.bucketIndex(id)]
    bucket?.dropReplacement(id)
    const at = bucket?.indexOf(id) ?? -1
    if (bucket === undefined || at < 0) return { kind: 'unknown' }
    const contact = bucket.contacts[at]!
    const replacement = bucket.removeAt(at)
    if (replacement === undefined) this.#size--
    return { kind: 'removed', contact, replacement }
  }

  /**
   * The `n` contacts closest to `target` by XOR distance, closest first.
   *
   * Buckets are visited in distance order: the target's own bucket first, then every bucket
   * nearer to us (all at the same first differing bit from the target), then the farther
   * buckets from nearest to farthest. Every contact of a later group is farther than every
   * contact of an earlier one, so collection stops as soon as `n` are gathered.
   */
  closest(target: Id, n: number, exclude?: (contact: Contact) => boolean): Id[] {
    const best = new ClosestSet(target, n)
    const first = Math.min(this.bucketIndex(target), ID_BITS - 1)
    best.addAll(this.#buckets[first], exclude)
    if (best.size < n) {
      for (let i = first + 1; i < ID_BITS; i++) best.addAll(this.#buckets[i], exclude)
    }
    for (let i = first - 1; i >= 0 && best.size < n; i--) best.addAll(this.#buckets[i], exclude)
    return best.ids
  }

  /** Every contact, bucket by bucket. */
  *contacts(): IterableIterator<Contact> {
    for (const bucket of this.#buckets) if (bucket !== undefined) yield* bucket.contacts
  }

  /** Non-empty buckets, nearest-prefix last, for display and refresh. */
  buckets(): BucketView[] {
    const out: BucketView[] = []
    this.#buckets.forEach((bucket, index) => {
      if (bucket !== undefined && bucket.contacts.length > 0) {
        out.push({ index, contacts: bucket.contacts, replacements: bucket.replacements.length })
      }
    })
    return out
  }

  /** Notes that a lookup for a target in bucket `index`'s range ran at `now`. */
  markLookup(target: Id, now: number): void {
    const index = this.bucketIndex(target)
    if (index < ID_BITS) this.#bucket(index).lastLookup = now
  }

  /**
   * Notes that a lookup of our own ID, whose k-th closest node sits in bucket `index`, covered
   * every nearer bucket: each node of their ranges is closer to us than that k-th node, so the
   * lookup met it. Buckets up to our nearest neighbour's are marked as looked into at `now`.
   */
  markCoveredBeyond(index: number, now: number): void {
    for (let i = Math.max(0, index + 1); i < this.nearestBucket(); i++) this.#bucket(i).lastLookup = now
  }

  /** Clock time of the last lookup into bucket `index` (-∞ if none). */
  lastLookup(index: number): number {
    return this.#buckets[index]?.lastLookup ?? Number.NEGATIVE_INFINITY
  }

  /** How many contacts bucket `index` holds. */
  bucketSize(index: number): number {
    return this.#buckets[index]?.contacts.length ?? 0
  }

  /** The highest bucket index holding a contact (our closest neighbour's), or -1 when empty. */
  nearestBucket(): number {
    for (let i = ID_BITS - 1; i >= 0; i--) if (this.bucketSize(i) > 0) return i
    return -1
  }

  /**
   * Whether `key` belongs here: we know fewer than k nodes closer to it than ourselves (they all
   * sit in the key's bucket), or its distance from us is at most 2^slackBits times our distance to
   * our k-th closest contact. The count alone cannot tell "k closer" from "thousands closer" (a
   * bucket holds at most k), and the radius alone misjudges an uneven small network (a node whose
   * neighbours cluster close is still among the k closest to a key in an empty stretch); a key
   * far from us in a network that fills our buckets fails both.
   */
  withinRadius(key: Id, k: number, slackBits: number): boolean {
    // Among the k closest we know of: the contacts closer to the key than we are fill its bucket.
    if (this.bucketSize(Math.min(this.bucketIndex(key), ID_BITS - 1)) < k) return true
    const neighbours = this.closest(this.self, k)
    if (neighbours.length < k) return true
    const kth = neighbours[k - 1]!
    const radius = distancePrefix(this.self, kth)
    // Beyond 48 bits of common prefix (over 2^48 nodes) the prefixes are 0: compare in full.
    if (radius === 0) return compareDistance(this.self, key, kth) <= 0
    return distancePrefix(this.self, key) <= radius * 2 ** slackBits
  }

  /** True if `id` is one of the `n` contacts closest to `target` we know (self excluded). */
  isAmongClosest(id: Id, target: Id, n: number): boolean {
    return this.closest(target, n).some((c) => idEquals(c, id))
  }

  #bucket(index: number): KBucket {
    let bucket = this.#buckets[index]
    if (bucket === undefined) {
      bucket = new KBucket(this.#options.k, this.#options.replacementCacheSize)
      this.#buckets[index] = bucket
    }
    return bucket
  }
}

/** The `n` closest IDs offered so far, kept sorted by distance (insertion into a short array). */
class ClosestSet {
  readonly ids: Id[] = []
  readonly #prefixes: number[] = []

  constructor(
    readonly target: Id,
    readonly n: number,
  ) {}

  get size(): number {
    return this.ids.length
  }

  addAll(bucket: KBucket | undefined, exclude: ((contact: Contact) => boolean) | undefined): void {
    if (bucket === undefined) return
    for (const contact of bucket.contacts) {
      if (exclude === undefined || !exclude(contact)) this.add(contact.id)
    }
  }

  add(id: Id): void {
    const { ids, n, target } = this
    const prefixes = this.#prefixes
    const prefix = distancePrefix(target, id)
    let at = ids.length
    if (at === n && !closer(prefix, id, prefixes[at - 1]!, ids[at - 1]!, target)) return
    while (at > 0 && closer(prefix, id, prefixes[at - 1]!, ids[at - 1]!, target)) at--
    ids.splice(at, 0, id)
    prefixes.splice(at, 0, prefix)
    if (ids.length > n) {
      ids.pop()
      prefixes.pop()
    }
  }
}

function closer(prefixA: number, a: Id, prefixB: number, b: Id, target: Id): boolean {
  return prefixA < prefixB || (prefixA === prefixB && compareDistance(target, a, b) < 0)
}
