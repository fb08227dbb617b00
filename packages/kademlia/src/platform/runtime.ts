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

export function cryptoRandom(): Random {
  return {
    bytes: (n) => runtime.crypto.getRandomValues(new Uint8Array(n)),
    float: () => {
      const [a, b, c, d] = runtime.crypto.getRandomValues(new Uint8Array(4))
      return (((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0) / 2 ** 32
    },
  }
}
