/** Shared setup for the multi-node protocol tests: one network size, fast maintenance, helpers. */
import { DEFAULTS, toHex } from '@browser-dht/kademlia'
import type { Id, KademliaNode } from '@browser-dht/kademlia'
import { Testnet, type TestnetOptions } from '../src/testnet.ts'

export const K = DEFAULTS.k
export const NETWORK_SIZE = 200

/** Maintenance every virtual minute or two, so hours of protocol time run in seconds. */
export const FAST_MAINTENANCE = {
  replicateIntervalMs: 60_000,
  republishIntervalMs: 120_000,
  recordTtlMs: 300_000,
  refreshIntervalMs: 60_000,
  expireIntervalMs: 60_000,
  requestTimeoutMs: 500,
} satisfies TestnetOptions

/** The MemoryNetwork's default one-way latency is 10–50 ms. */
export const MAX_ONE_WAY_MS = 50

/** Time allowed for building the network in a beforeAll hook. */
export const BUILD_TIMEOUT_MS = 30_000

export async function buildNetwork(seed: number): Promise<Testnet> {
  const net = new Testnet({ seed, ...FAST_MAINTENANCE })
  await net.grow(NETWORK_SIZE)
  return net
}

export function liveIds(net: Testnet, except?: KademliaNode): Id[] {
  return net.live().filter((node) => node !== except).map((node) => node.id)
}

/** Live nodes holding an unexpired record for `key`. */
export function holdersOf(net: Testnet, key: Id): KademliaNode[] {
  const now = net.clock.now()
  return net.live().filter((node) => (node.records.meta(key)?.expiresAt ?? 0) > now)
}

export function hexes(ids: readonly Id[]): string[] {
  return ids.map(toHex)
}

/** A copy of `items` in a random order drawn from the network's seeded random source. */
export function shuffled<T>(net: Testnet, items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(net.random.float() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
