/**
 * Whom the server introduces a node to (the `peers` of `registered` and `peers` frames). A new
 * node's first contacts decide whose view of the network it starts from, so they are drawn to be
 * hard to flood. If every registered peer fits in one reply, all of them. Else first long-registered peers (registered at least `minAgeMs` ago) from distinct
 * networks, one per network; then recent peers from networks not yet in the reply, one per
 * network; then more long-registered peers from any network. A recent peer from a network
 * already in the reply is never added: a burst of fresh registrations from one network, the
 * cheapest thing for an attacker to make, yields at most one ID per reply.
 *
 * Picks are by network, then member: every network is as likely as any other however many IDs it
 * registered. Every update is O(1); a sample is O(count) (at most PROBES_PER_PICK random probes
 * per wanted peer and phase), and each ID is moved from recent to long-registered once.
 */
import type { Random } from '@browser-dht/kademlia'
import type { NodeIdHex } from '../protocol/frames.ts'

/** Random probes per wanted peer in each phase of a sample, before it settles for fewer. */
export const PROBES_PER_PICK = 4

interface Member {
  readonly id: NodeIdHex
  readonly network: string
  readonly registeredAt: number
  mature: boolean
  /** Index in its network's member list. */
  slot: number
}

/** IDs grouped by network: add, remove and pick a random network or member in O(1). */
class Networks {
  /** Networks with at least one member, for random picks. */
  readonly list: string[] = []
  readonly #groups = new Map<string, { members: Member[]; index: number }>()
  size = 0

  add(member: Member): void {
    let group = this.#groups.get(member.network)
    if (group === undefined) {
      group = { members: [], index: this.list.length }
      this.#groups.set(member.network, group)
      this.list.push(member.network)
    }
    member.slot = group.members.length
    group.members.push(member)
    this.size++
  }

  remove(member: Member): void {
    const group = this.#groups.get(member.network)!
    const last = group.members.pop()!
    if (last !== member) {
      group.members[member.slot] = last
      last.slot = member.slot
    }
    this.size--
    if (group.members.length > 0) return
    const lastNetwork = this.list.pop()!
    if (lastNetwork !== member.network) {
      this.list[group.index] = lastNetwork
      this.#groups.get(lastNetwork)!.index = group.index
    }
    this.#groups.delete(member.network)
  }

  members(network: string): readonly Member[] {
    return this.#groups.get(network)?.members ?? []
  }
}

export interface IntroductionsInit {
  readonly random: Random
  readonly now: () => number
  /** Registered at least this long ago counts as long-registered (`introduceMinAgeMs`). */
  readonly minAgeMs: number
}

export class Introductions {
  readonly #random: Random
  readonly #now: () => number
  readonly #minAgeMs: number
  readonly #members = new Map<NodeIdHex, Member>()
  readonly #recent = new Networks()
  readonly #mature = new Networks()
  /** Recent members in registration order (and stale entries, skipped), oldest from `#head`. */
  #queue: Member[] = []
  #head = 0

  constructor(init: IntroductionsInit) {
    this.#random = init.random
    this.#now = init.now
    this.#minAgeMs = init.minAgeMs
  }

  /** Adds `id` as registered now from `network` (a re-registration starts its age again). */
  add(id: NodeIdHex, network: string): void {
    this.remove(id)
    const member: Member = { id, network, registeredAt: this.#now(), mature: false, slot: 0 }
    this.#members.set(id, member)
    this.#recent.add(member)
    this.#queue.push(member)
  }

  remove(id: NodeIdHex): void {
    const member = this.#members.get(id)
    if (member === undefined) return
    this.#members.delete(id)
    ;(member.mature ? this.#mature : this.#recent).remove(member)
  }

  /** Up to `count` distinct IDs, never `except`, drawn as the file comment says. */
  sample(count: number, except: NodeIdHex): NodeIdHex[] {
    this.#promote() // also on the path below: it is what empties the queue
    // When every registered peer fits in one reply there is nothing to choose, so nothing to flood.
    if (this.#members.size - (this.#members.has(except) ? 1 : 0) <= count) return [...this.#members.keys()].filter((id) => id !== except)
    const picked = new Set<NodeIdHex>()
    const networks = new Set<string>()
    this.#onePerNetwork(this.#mature, count, except, picked, networks)
    this.#onePerNetwork(this.#recent, count, except, picked, networks)
    this.#more(this.#mature, count, except, picked)
    return [...picked]
  }

  /** Moves members registered at least `minAgeMs` ago from recent to long-registered. */
  #promote(): void {
    const cutoff = this.#now() - this.#minAgeMs
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.registeredAt <= cutoff) {
      const member = this.#queue[this.#head++]!
      if (this.#members.get(member.id) !== member || member.mature) continue
      this.#recent.remove(member)
      member.mature = true
      this.#mature.add(member)
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
  }

  /** Adds one member of each of up to `count − picked` random networks not in `networks`. */
  #onePerNetwork(from: Networks, count: number, except: NodeIdHex, picked: Set<NodeIdHex>, networks: Set<string>): void {
    for (const network of this.#randomNetworks(from, count - picked.size)) {
      if (picked.size >= count) return
      if (networks.has(network)) continue
      const member = this.#memberOf(from.members(network), except)
      if (member === undefined) continue
      picked.add(member.id)
      networks.add(network)
    }
  }

  /** Fills up to `count` with random members of any network. */
  #more(from: Networks, count: number, except: NodeIdHex, picked: Set<NodeIdHex>): void {
    const wanted = count - picked.size
    if (wanted <= 0) return
    if (from.size <= wanted * PROBES_PER_PICK) {
      // Few enough to look at each: take them in random order.
      const all = from.list.flatMap((network) => from.members(network)).filter((member) => member.id !== except && !picked.has(member.id))
      for (const member of this.#shuffled(all).slice(0, wanted)) picked.add(member.id)
      return
    }
    for (let probe = 0; probe < wanted * PROBES_PER_PICK && picked.size < count; probe++) {
      const members = from.members(from.list[this.#index(from.list.length)]!)
      const member = members[this.#index(members.length)]!
      if (member.id !== except) picked.add(member.id)
    }
  }

  /** Distinct random networks: all of them in random order if few, else a bounded number of probes. */
  *#randomNetworks(from: Networks, wanted: number): Generator<string> {
    if (wanted <= 0 || from.list.length === 0) return
    const probes = wanted * PROBES_PER_PICK
    if (from.list.length <= probes) {
      yield* this.#shuffled([...from.list])
      return
    }
    const seen = new Set<number>()
    for (let probe = 0; probe < probes; probe++) {
      const index = this.#index(from.list.length)
      if (seen.has(index)) continue
      seen.add(index)
      yield from.list[index]!
    }
  }

  /** A random member other than `except` (which is in at most one network). */
  #memberOf(members: readonly Member[], except: NodeIdHex): Member | undefined {
    if (members.length === 0) return undefined
    const index = this.#index(members.length)
    const member = members[index]!
    if (member.id !== except) return member
    return members.length > 1 ? members[(index + 1) % members.length] : undefined
  }

  #shuffled<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.#index(i + 1)
      ;[items[i], items[j]] = [items[j]!, items[i]!]
    }
    return items
  }

  #index(length: number): number {
    return Math.floor(this.#random.float() * length)
  }
}
