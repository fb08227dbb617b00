/**
 * @browser-dht/simulator: many Kademlia nodes in one process on a virtual clock, for your own
 * tests and measurements (README, "Extend"). The benchmarks' command lines live in `cli/`.
 */
export { type AddNodeOptions, puzzleId, Testnet, type TestnetOptions } from './testnet.ts'
export { trueClosest } from './brute-force.ts'
export { mean, percentile, type Percentiles, percentiles, round } from './stats.ts'
