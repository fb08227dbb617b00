/**
 * When a lookup's slow request is overdue (lookup.ts, path.ts): a request sent no earlier has been
 * answered in under half the time the slow one has waited. The network answers and that node does
 * not, where a lag holds up every answer about alike (its first answers took about as long). It
 * also wakes the lookup at the moment a slow request becomes overdue, when no answer would.
 */
import type { Clock, TimerHandle } from '../platform/platform.ts'

export class Overdue {
  readonly #clock: Clock
  /** When each answered request was sent, and how long its answer took. */
  readonly #answers: { sentAt: number; ms: number }[] = []
  /** Send times of the first requests that turned slow and are still pending, by request. */
  readonly #slow = new Map<object, number>()
  #wake: TimerHandle | undefined

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** A request sent at `sentAt` was answered now. */
  answered(sentAt: number): void {
    this.#answers.push({ sentAt, ms: this.#clock.now() - sentAt })
  }

  /** The request `key` (sent at `sentAt`) turned slow; `settled` forgets it. */
  slow(key: object, sentAt: number): void {
    this.#slow.set(key, sentAt)
  }

  settled(key: object): void {
    this.#slow.delete(key)
  }

  /** Whether a slow request sent at `sentAt` is overdue now. */
  is(sentAt: number): boolean {
    const waited = this.#clock.now() - sentAt
    return this.#answers.some((answer) => answer.sentAt >= sentAt && 2 * answer.ms < waited)
  }

  /** Arms `wake` for the moment the next slow request becomes overdue by the answers so far. */
  arm(wake: () => void): void {
    let next = Number.POSITIVE_INFINITY
    for (const sentAt of this.#slow.values()) {
      for (const answer of this.#answers) if (answer.sentAt >= sentAt) next = Math.min(next, sentAt + 2 * answer.ms + 1)
    }
    this.clear()
    const now = this.#clock.now()
    if (next === Number.POSITIVE_INFINITY || next <= now) return
    this.#wake = this.#clock.setTimeout(() => {
      this.#wake = undefined
      wake()
    }, next - now)
  }

  clear(): void {
    if (this.#wake !== undefined) this.#clock.clearTimeout(this.#wake)
    this.#wake = undefined
  }
}
