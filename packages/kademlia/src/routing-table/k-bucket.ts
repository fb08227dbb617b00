import { idEquals, type Id } from '../keyspace/id.ts'

/** A node this node has heard from, with what the routing table knows of its liveness. */
export interface Contact {
  readonly id: Id
  /** Clock time of the last message received from it. */
  lastSeen: number
  /** Requests to it that failed in a row; reset by any message from it. */
  failures: number
  /**
   * Clock time of its last failed request that counted (`failed(id, { now })`): proven, or the
   * second unproven one in a row. One forged UNDELIVERABLE does not set it.
   */
  failedAt?: number
}

/**
 * One k-bucket: at most `capacity` contacts in least-recently-seen order (index 0 is the oldest),
 * plus a bounded replacement cache of nodes that arrived while the bucket was full (newest last).
 */
export class KBucket {
  readonly contacts: Contact[] = []
  readonly replacements: Contact[] = []
  /** Clock time of the last lookup into this bucket's range (for bucket refresh); -∞ before the first. */
  lastLookup = Number.NEGATIVE_INFINITY

  constructor(
    readonly capacity: number,
    readonly replacementCapacity: number,
  ) {}

  indexOf(id: Id): number {
    const contacts = this.contacts
    for (let i = 0; i < contacts.length; i++) if (idEquals(contacts[i]!.id, id)) return i
    return -1
  }

  get isFull(): boolean {
    return this.contacts.length >= this.capacity
  }

  /** Moves the contact at `index` to the most-recently-seen end. */
  touch(index: number, now: number): Contact {
    const [contact] = this.contacts.splice(index, 1)
    contact!.lastSeen = now
    contact!.failures = 0
    this.contacts.push(contact!)
    return contact!
  }

  /** Remembers `id` as a replacement candidate (newest last, oldest dropped when over capacity). */
  cacheReplacement(id: Id, now: number): void {
    if (this.replacementCapacity === 0) return
    const existing = this.replacements.findIndex((c) => idEquals(c.id, id))
    if (existing >= 0) this.replacements.splice(existing, 1)
    this.replacements.push({ id, lastSeen: now, failures: 0 })
    if (this.replacements.length > this.replacementCapacity) this.replacements.shift()
  }

  /** Forgets `id` as a replacement candidate; true if it was one. */
  dropReplacement(id: Id): boolean {
    const at = this.replacements.findIndex((c) => idEquals(c.id, id))
    if (at >= 0) this.replacements.splice(at, 1)
    return at >= 0
  }

  /** Removes the contact at `index` and promotes the newest replacement, if any. */
  removeAt(index: number): Contact | undefined {
    this.contacts.splice(index, 1)
    const promoted = this.replacements.pop()
    if (promoted !== undefined) this.contacts.push(promoted)
    return promoted
  }
}
