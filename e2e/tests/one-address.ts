/**
 * Every tab and Node peer of the e2e tests and the benchmarks connects from 127.0.0.1: one
 * address and one network to the signaling server, where real clients come from many. So the
 * signaling servers they start lift the per-address caps to the client cap (24 tabs would
 * otherwise meet the 16-sockets-per-address cap) and introduce without waiting for an age (else a
 * reply holds one recent tab: packages/signaling-server/PROTOCOL.md, "Introductions"). These are
 * `--tunable` arguments for apps/web/server.ts and packages/signaling-server/src/cli.ts.
 */
import { DEFAULTS } from '../../packages/signaling-server/src/options.ts'

export const ONE_ADDRESS_TUNABLES: readonly string[] = [
  ...['maxSocketsPerAddress', 'maxSocketsPerNetwork', 'registrationsPerMinutePerAddress', 'registrationsPerMinutePerNetwork'].map((name) => `${name}=${DEFAULTS.maxClients}`),
  'introduceMinAgeMs=0',
].flatMap((assignment) => ['--tunable', assignment])
