import type { Clock, TimerHandle } from './platform.ts'

interface Timer {
  callback: (() => void) | undefined
}

/**
 * A clock that only moves when told to, with 1 ms resolution. Timers fire in (time, creation)
 * order, so a simulation on it is deterministic and a day of protocol time takes as long as the
 * work it contains.
 *
 * Timers due in the same millisecond are kept in one queue and fire together; between two
 * instants every promise continuation runs (one macrotask turn), so async code sees time advance
 * exactly as on a real clock. The number of turns grows with simulated time, not with events.
 */
export class VirtualClock implements Clock {
  #now: number
  /** Instant → timers due then, in creation order. */
  readonly #due = new Map<number, Timer[]>()
  /** Min-heap of the instants that have a queue. */
  readonly #instants: number[] = []
  #pending = 0

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#pending
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const at = Math.ceil(this.#now + Math.max(0, ms))
    const timer: Timer = { callback }
    let queue = this.#due.get(at)
    if (queue === undefined) {
      queue = []
      this.#due.set(at, queue)
      heapPush(this.#instants, at)
    }
    queue.push(timer)
    this.#pending++
    return timer
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as Timer | undefined
    if (timer?.callback !== undefined) {
      timer.callback = undefined
      this.#pending--
    }
  }

  /** Fires every timer due at or before `until`, then sets the clock to `until`. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await settle()
      const next = this.#nextInstant()
      if (next === undefined || next > until) break
      this.#fire(next)
    }
    this.#now = Math.max(this.#now, until)
  }

  /** Advances by `ms`. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.#now + ms)
  }

  /**
   * Runs until `promise` settles, advancing time as far as needed (at most `limitMs`).
   * Rejects if the promise is still pending when no timers are left or the limit is reached.
   */
  async run<T>(promise: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
    let settled = false
    const tracked = promise.finally(() => {
      settled = true
    })
    tracked.catch(() => undefined)
    const deadline = this.#now + limitMs
    for (;;) {
      await settle()
      if (settled) break
      const next = this.#nextInstant()
      if (next === undefined || next > deadline) {
        throw new Error('VirtualClock.run: the promise can never settle (no timers left before the limit)')
      }
      this.#fire(next)
    }
    return tracked
  }

  /** Fires the queue of `instant`, including timers it adds for the same instant. */
  #fire(instant: number): void {
    this.#now = Math.max(this.#now, instant)
    const queue = this.#due.get(instant)!
    for (let i = 0; i < queue.length; i++) {
      const timer = queue[i]!
      const callback = timer.callback
      if (callback === undefined) continue
      timer.callback = undefined
      this.#pending--
      callback()
    }
    this.#due.delete(instant)
    heapPop(this.#instants)
  }

  /** The earliest instant with a live timer, dropping queues whose timers were all cleared. */
  #nextInstant(): number | undefined {
    while (this.#instants.length > 0) {
      const instant = this.#instants[0]!
      if (this.#due.get(instant)!.some((timer) => timer.callback !== undefined)) return instant
      this.#due.delete(instant)
      heapPop(this.#instants)
    }
    return undefined
  }
}

function heapPush(heap: number[], value: number): void {
  heap.push(value)
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (heap[parent]! <= value) break
    heap[i] = heap[parent]!
    i = parent
  }
  heap[i] = value
}

function heapPop(heap: number[]): void {
  const last = heap.pop()!
  if (heap.length === 0) return
  let i = 0
  for (;;) {
    const l = 2 * i + 1
    if (l >= heap.length) break
    const c = l + 1 < heap.length && heap[l + 1]! < heap[l]! ? l + 1 : l
    if (heap[c]! >= last) break
    heap[i] = heap[c]!
    i = c
  }
  heap[i] = last
}

/** Resolves after every queued promise continuation has run (one macrotask turn). */
function settle(): Promise<void> {
  return new Promise((resolve) => {
    const g = globalThis as unknown as { setImmediate?: (cb: () => void) => void; setTimeout: (cb: () => void, ms: number) => void }
    if (g.setImmediate) g.setImmediate(resolve)
    else g.setTimeout(resolve, 0)
  })
}
