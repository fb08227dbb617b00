import type { Clock, Random, TimerHandle } from '../platform/platform.ts'

/**
 * Periodic maintenance on the handed clock. Each period is jittered by ±10 % so that nodes
 * started together do not act in lockstep, and a task never overlaps its previous run.
 */
export class Periodic {
  #handle: TimerHandle | undefined
  #running = false
  #stopped = false

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
  ) {}

  start(): void {
    this.#stopped = false
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    if (this.#handle !== undefined) this.clock.clearTimeout(this.#handle)
    this.#handle = undefined
  }

  #schedule(): void {
    if (this.#stopped || this.intervalMs <= 0) return
    const delay = this.intervalMs * (0.9 + 0.2 * this.random.float())
    this.#handle = this.clock.setTimeout(() => void this.#tick(), delay)
  }

  async #tick(): Promise<void> {
    if (this.#running) return this.#schedule()
    this.#running = true
    try {
      await this.task()
    } catch {
      // Maintenance is retried next period; a failed pass loses nothing.
    } finally {
      this.#running = false
      this.#schedule()
    }
  }
}
