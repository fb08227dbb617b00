/**
 * A token bucket, the one rate limit of the project (the transport's per-link frame and
 * verification budgets, the signaling server's per-connection and per-address limits): it holds
 * at most `burst` tokens, refills `perSecond` tokens a second, and each event takes one. Time
 * comes from `now` (milliseconds), so tests need no real time.
 */
export interface TokenBucketOptions {
  readonly burst: number
  readonly perSecond: number
  readonly now: () => number
}

export class TokenBucket {
  readonly #burst: number
  readonly #perMs: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number

  constructor(options: TokenBucketOptions) {
    this.#burst = options.burst
    this.#perMs = options.perSecond / 1000
    this.#now = options.now
    this.#tokens = options.burst
    this.#updatedAt = options.now()
  }

  /** Takes one token if there is one; false means the caller is over its rate. */
  take(): boolean {
    this.#refill()
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** True once it has refilled to `burst`: it then behaves exactly like a new bucket. */
  isFull(): boolean {
    this.#refill()
    return this.#tokens >= this.#burst
  }

  #refill(): void {
    const now = this.#now()
    const elapsed = Math.max(0, now - this.#updatedAt)
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs)
    this.#updatedAt = now
  }
}
