/**
 * What the core is handed instead of reaching for globals: a clock, randomness and abort signals.
 * Real implementations live in ./runtime.ts; the simulator hands in a virtual clock and a seeded
 * random source.
 */

export type TimerHandle = unknown

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface Random {
  /** `n` random bytes in a new array. */
  bytes(n: number): Uint8Array
  /** A float in [0, 1). */
  float(): number
}

/** The part of the DOM/Node AbortSignal the core uses. */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}
