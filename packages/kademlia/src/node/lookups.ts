/**
 * How a node runs its lookups (query/lookup.ts does the walking): seeds from its routing table
 * without the contacts that rest after failures, named contacts held to the ID puzzle, resting
 * nodes skipped, each FIND_NODE or FIND_VALUE sent through the RPC layer with its contact's slow
 * wait (rpc/round-trips.ts), and the slow requests counted for the node's stats.
 */
import { DhtError, ErrorCode } from '../errors.ts'
import { type Id, idEquals } from '../keyspace/id.ts'
import { checkOptions } from '../platform/check-options.ts'
import type { Clock } from '../platform/platform.ts'
import { lookup, type LookupResult } from '../query/lookup.ts'
import type { RoutingTable } from '../routing-table/routing-table.ts'
import type { Rpc } from '../rpc/rpc.ts'
import type { Liveness } from './liveness.ts'
import type { LookupExtras } from './node-types.ts'
import { invalidOption, TUNABLE_KINDS, type Tunables } from './options.ts'
import type { GetOptions } from './values.ts'

export interface LookupsHost {
  id: Id
  options: Tunables
  table: RoutingTable
  clock: Clock
  liveness: Liveness
  rpc: Rpc
  /** Whether `id` solves the network's ID puzzle (remembered). */
  solvesPuzzle(id: Id): boolean
  assertRunning(): void
}

export class Lookups {
  readonly #host: LookupsHost
  /** Requests the lookups stopped waiting on before they settled. */
  slowRequests = 0

  constructor(host: LookupsHost) {
    this.#host = host
  }

  async run(target: Id, mode: 'node' | 'value', { signal, paths, quorum }: GetOptions, { check, enough, ask }: LookupExtras = {}): Promise<LookupResult> {
    const host = this.#host
    host.assertRunning()
    const { k, alpha, maxLookupCandidates, disjointPaths, maxIntroducedPerPeer, idPuzzleBits } = host.options
    checkOptions({ paths }, { paths: TUNABLE_KINDS.disjointPaths }, invalidOption)
    const seeds = host.liveness.seeds(target, k, alpha)
    if (seeds.length === 0) throw new DhtError(ErrorCode.NO_PEERS, 'no peers yet: bootstrap first')
    host.table.markLookup(target, host.clock.now())
    const type = mode === 'node' ? 'FIND_NODE' : 'FIND_VALUE'
    const result = await lookup({
      target,
      self: host.id,
      seeds,
      k,
      alpha,
      paths: paths ?? disjointPaths,
      maxIntroducedPerPeer,
      maxCandidates: maxLookupCandidates,
      clock: host.clock,
      signal,
      accept: idPuzzleBits > 0 ? (id) => host.solvesPuzzle(id) : undefined,
      // A lookup for a node's own ID asks it even while it rests: finding it is the point, and one
      // that came back under its ID (a reloaded tab) is found at once.
      skip: (id) => !idEquals(id, target) && host.liveness.resting(id),
      quorum,
      enough,
      // The STOREs of `storeAround` are waited on in full: each one not waited on would cost a copy more.
      slowAfterMs: ask === undefined ? (peer) => host.rpc.slowAfterMs(peer) : undefined,
      ask: (peer, count) => {
        if (ask !== undefined) return ask(peer, signal)
        const asked = host.rpc.request(peer, type === 'FIND_NODE' ? { type, target, count } : { type, key: target, count }, signal)
        return check === undefined ? asked : asked.then((response) => check(peer, response))
      },
    })
    this.slowRequests += result.trace.slowRequests
    return result
  }
}
