/**
 * What the transport's parts (relaying.ts, signal-routing.ts, delivery.ts) share, made once by the facade:
 * the options, the counters, the authentication suite, the other nodes' keys, this node's
 * sequence numbers and the link table.
 */
import type { PeerKeys } from '../auth/peer-keys.ts'
import type { Sequencer } from '../auth/sequencer.ts'
import type { AuthSuite } from '../auth/suite.ts'
import type { ResolvedOptions } from '../options.ts'
import type { Counters } from '../stats.ts'
import type { LinkTable } from './link-table.ts'

export interface TransportContext {
  options: ResolvedOptions
  counters: Counters
  suite: AuthSuite
  keys: PeerKeys
  sequencer: Sequencer
  links: LinkTable
}
