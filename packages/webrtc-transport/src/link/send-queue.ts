/**
 * One link's outgoing frames. A frame is written at once while the channel is open, nothing waits
 * before it and the channel's buffer is below `highWaterMarkBytes`; otherwise it waits in a queue
 * of at most `maxQueuedFrames` frames and `maxQueuedBytes` bytes, which drains on open, on every
 * frame received and every `drainIntervalMs` while the channel stays congested.
 */
import type { TimerHandle } from '@browser-dht/kademlia'
import type { ResolvedOptions } from '../options.ts'
import type { PeerLike } from '../peer/peer.ts'
import type { Counters, DropReason } from '../stats.ts'

export interface SendQueueInit {
  options: Pick<ResolvedOptions, 'maxQueuedFrames' | 'maxQueuedBytes' | 'highWaterMarkBytes' | 'drainIntervalMs' | 'clock'>
  counters: Counters
  /** The channel, while there is one. */
  peer(): PeerLike | undefined
  /** True while the link's data channel is open. */
  isOpen(): boolean
  /** A write threw: the link closes (with reason `error`). */
  failed(): void
}

export class SendQueue {
  readonly #o: SendQueueInit
  #queue: Uint8Array[] = []
  #queuedBytes = 0
  #drainTimer: TimerHandle | undefined

  constructor(init: SendQueueInit) {
    this.#o = init
  }

  /** Frames waiting. */
  get length(): number {
    return this.#queue.length
  }

  /** Writes `frame` now or queues it; returns why it was dropped, if it was. */
  push(frame: Uint8Array): DropReason | undefined {
    const open = this.#o.isOpen()
    if (open && this.#queue.length === 0 && this.#writable()) return this.write(frame)
    const { maxQueuedFrames, maxQueuedBytes } = this.#o.options
    if (this.#queue.length >= maxQueuedFrames || this.#queuedBytes + frame.length > maxQueuedBytes) {
      return open ? 'send-queue-full' : 'pending-queue-full'
    }
    this.#queue.push(frame)
    this.#queuedBytes += frame.length
    if (open) this.#armDrain()
    return undefined
  }

  /** Writes `frame` to the channel now, past the queue; returns why it was dropped, if it was. */
  write(frame: Uint8Array): DropReason | undefined {
    try {
      this.#o.peer()!.send(frame)
    } catch {
      this.#o.failed()
      return 'send-failed'
    }
    this.#o.counters.framesSent++
    this.#o.counters.bytesSent += frame.length
    return undefined
  }

  /** Writes a frame and counts it if it could not be written. */
  send(frame: Uint8Array): void {
    const dropped = this.write(frame)
    if (dropped !== undefined) this.#o.counters.drop(dropped)
  }

  /** Writes what waits while the channel is open and takes it; checks again later if it is still congested. */
  drain(): void {
    while (this.#o.isOpen() && this.#queue.length > 0 && this.#writable()) {
      const frame = this.#queue.shift()!
      this.#queuedBytes -= frame.length
      this.send(frame)
    }
    if (this.#o.isOpen() && this.#queue.length > 0) this.#armDrain()
  }

  /** Empties the queue and returns what was in it. */
  take(): Uint8Array[] {
    const queue = this.#queue
    this.#queue = []
    this.#queuedBytes = 0
    return queue
  }

  /** Stops the drain timer (the link is closing). */
  stop(): void {
    if (this.#drainTimer !== undefined) this.#o.options.clock.clearTimeout(this.#drainTimer)
    this.#drainTimer = undefined
  }

  #writable(): boolean {
    return (this.#o.peer()?.bufferSize ?? 0) < this.#o.options.highWaterMarkBytes
  }

  #armDrain(): void {
    if (this.#drainTimer !== undefined) return
    this.#drainTimer = this.#o.options.clock.setTimeout(() => {
      this.#drainTimer = undefined
      this.drain()
    }, this.#o.options.drainIntervalMs)
  }
}
