/** A synthetic network for the lookup tests: who knows whom, who fails, who lies, who holds values. */
import { DhtError, ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { compareDistance, ID_BYTES, toHex } from '../src/keyspace/id.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import type { LookupOptions } from '../src/query/lookup.ts'
import type { SignedRecord } from '../src/records/signed-record.ts'
import type { Response } from '../src/wire/messages.ts'

export const N = 120
export const VALUE = Uint8Array.of(4, 2)

/**
 * What a holder of the synthetic network answers with: a named record whose seq is the value's
 * first byte (so different values are different answers). The lookup does not check records:
 * the node's `ask` does that before a lookup sees an answer.
 */
export function recordOf(value: Uint8Array): SignedRecord {
  return { kind: 'named', publicKey: new Uint8Array(32), seq: value[0] ?? 0, tombstone: false, value, signature: new Uint8Array(64) }
}

export interface NetOptions {
  seed: number
  k: number
  /** Peers (by rank, 0 = closest to the target) whose requests fail. */
  failing?: readonly number[]
  /** Peers (by rank) that hold a value. */
  holders?: readonly number[]
  /** The value a holder answers with; default VALUE. */
  valueAt?: (rank: number) => Uint8Array
  /** Rank of our own id in the network. */
  selfRank?: number
  /** Peers (by rank) that answer every request with the made-up IDs (up to the count asked). */
  liars?: readonly number[]
  /** Made-up IDs, closer to the target than any real one. Default 0. */
  fakes?: number
  /** What a request to a made-up ID does: nothing (it fails, no node has it) or an empty answer (an attacker runs it). */
  fakesAnswer?: 'never' | 'empty'
  /** How long every request takes to answer or fail, in virtual ms. Default: drawn from 1–20 for each. */
  delayMs?: number
  /** How long requests to the peer of rank r take instead (undefined: as the others). */
  delayAt?: (rank: number) => number | undefined
}

/**
 * A synthetic network of N ids sorted by distance to the target. The peer of rank r knows the
 * W ids from rank ⌊r/2⌋ on (from rank 0 once r < 2W), so each hop halves the distance rank and a
 * lookup needs several rounds. W = k + failures + 1 leaves k usable ids in every answer.
 */
export function network(o: NetOptions) {
  const random = seededRandom(o.seed)
  const target = random.bytes(ID_BYTES)
  const ids = Array.from({ length: N }, () => random.bytes(ID_BYTES)).sort((a, b) => compareDistance(target, a, b))
  const rank = new Map(ids.map((id, i) => [toHex(id), i]))
  // Sharing the first 12 bytes with the target: closer than any random id, almost surely.
  const fakes = Array.from({ length: o.fakes ?? 0 }, () => Uint8Array.from([...target.subarray(0, 12), ...random.bytes(8)]))
  fakes.sort((a, b) => compareDistance(target, a, b))
  const fake = new Set(fakes.map(toHex))
  const failing = new Set(o.failing ?? [])
  const holders = new Set(o.holders ?? [])
  const liars = new Set(o.liars ?? [])
  const self = ids[o.selfRank ?? 50]!
  const width = o.k + failing.size + 1
  const clock = new VirtualClock()
  const calls: Id[] = []
  /** Every request as sent: to whom, when, and how long its answer (or failure) takes. */
  const sent: { peer: string; at: number; delayMs: number }[] = []
  let inflight = 0
  let maxInflight = 0

  const answer = (peer: Id, count: number): Response | undefined => {
    if (fake.has(toHex(peer))) return o.fakesAnswer === 'empty' ? { type: 'NODES', rid: 0, nodes: [] } : undefined
    const r = rank.get(toHex(peer))!
    if (failing.has(r)) return undefined
    if (liars.has(r)) return { type: 'NODES', rid: 0, nodes: fakes.slice(0, count) }
    const lo = r < 2 * width ? 0 : Math.floor(r / 2)
    // A re-ask for more than k (widening) gets as many as it asks for.
    const nodes = ids.slice(lo, lo + Math.max(width, count))
    if (holders.has(r)) return { type: 'VALUE', rid: 0, records: [{ record: recordOf(o.valueAt?.(r) ?? VALUE), ttlMs: 777 }], nodes }
    return { type: 'NODES', rid: 0, nodes }
  }
  const ask = (peer: Id, count: number): Promise<Response> => {
    calls.push(peer)
    maxInflight = Math.max(maxInflight, ++inflight)
    const r = rank.get(toHex(peer))
    const delayMs = (r === undefined ? undefined : o.delayAt?.(r)) ?? o.delayMs ?? 1 + Math.floor(random.float() * 20)
    sent.push({ peer: toHex(peer), at: clock.now(), delayMs })
    return new Promise((resolve, reject) => {
      clock.setTimeout(() => {
        inflight--
        const response = answer(peer, count)
        if (response === undefined) reject(new DhtError(ErrorCode.TIMEOUT, 'no answer'))
        else resolve(response)
      }, delayMs)
    })
  }
  const usable = ids.filter((id, i) => !failing.has(i) && id !== self)
  return {
    target,
    ids,
    fakes,
    self,
    clock,
    calls,
    ask,
    rankOf: (id: Id) => rank.get(toHex(id))!,
    isFake: (id: Id) => fake.has(toHex(id)),
    /** How long the request sent to `peer` at `at` took to answer or fail (undefined: none was sent then). */
    delayOf: (peer: Id, at: number) => sent.find((s) => s.peer === toHex(peer) && s.at === at)?.delayMs,
    /** How long the slowest request to `peer` took (undefined: it was never asked). */
    slowestTo: (peer: Id) => sent.reduce<number | undefined>((max, s) => (s.peer === toHex(peer) ? Math.max(max ?? 0, s.delayMs) : max), undefined),
    get maxInflight() {
      return maxInflight
    },
    /** The true k closest real ids that answer (self excluded), as hex. */
    expected: usable.slice(0, o.k).map(toHex),
  }
}

export type Net = ReturnType<typeof network>

export function options(net: Net, k: number, alpha: number, extra: Partial<LookupOptions> = {}): LookupOptions {
  return {
    target: net.target,
    self: net.self,
    seeds: net.ids.slice(N - 3),
    k,
    alpha,
    maxCandidates: 4 * N,
    clock: net.clock,
    ask: net.ask,
    ...extra,
  }
}
