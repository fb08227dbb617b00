/**
 * Clock and randomness of the real world, for a tab or a Node process. The clock is wall-clock
 * time (ms since 1970) so that record expiry survives a reload. Both environments provide
 * `setTimeout`, `Date` and `crypto.getRandomValues` as globals; nothing else in the core
 * touches them.
 */
import type { Clock, Random } from './platform.ts'

interface RuntimeGlobals {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  Date: { now(): number }
  crypto: { getRandomValues<T extends Uint8Array>(array: T): T }
}

const runtime = globalThis as unknown as RuntimeGlobals

export function systemClock(): Clock {
  return {
    now: () => runtime.Date.now(),
    setTimeout: (callback, ms) => runtime.setTimeout(callback, ms),
    clearTimeout: (handle) => runtime.clearTimeout(handle),
  }
}

/** Bytes `cryptoRandom` draws from the platform at once (each call into it costs more than the bytes). */
export const RANDOM_POOL_BYTES = 256

/**
 * Randomness from `crypto.getRandomValues`, drawn RANDOM_POOL_BYTES at a time: a request's
 * random rid needs 4 bytes, and one call into the platform per request cost more than the rest
 * of sending it. Each byte of the pool is handed out once; larger draws go to the platform.
 */
export function cryptoRandom(): Random {
  const pool = new Uint8Array(RANDOM_POOL_BYTES)
  let used = RANDOM_POOL_BYTES
  const bytes = (n: number): Uint8Array => {
    if (n > RANDOM_POOL_BYTES) return runtime.crypto.getRandomValues(new Uint8Array(n))
    if (used + n > RANDOM_POOL_BYTES) {
      runtime.crypto.getRandomValues(pool)
      used = 0
    }
    used += n
    return pool.slice(used - n, used)
  }
  return {
    bytes,
    float: () => {
      const [a, b, c, d] = bytes(4)
      return (((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0) / 2 ** 32
    },
  }
}
