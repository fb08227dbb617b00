/**
 * PINGs and PONGs on one link: the heartbeat's (heartbeat.ts says when one is due and when the
 * peer is dead; its answer times `rttMs`) and `probe`'s, each PING told apart by its own u32
 * nonce. A probe holds one timer until its PONG arrives, `probeTimeoutMs` passes or the link closes.
 */
import type { TimerHandle } from '@browser-dht/kademlia'
import { TransportError, TransportErrorCode } from '../errors.ts'
import type { ResolvedOptions } from '../options.ts'
import type { Counters } from '../stats.ts'
import { pingFrame } from '../wire/frames.ts'
import { Heartbeat } from './heartbeat.ts'

/** A `probe` PING waiting for its PONG. */
interface PendingProbe {
  sentAt: number
  timer: TimerHandle
  resolve(ms: number): void
  reject(error: TransportError): void
}

export interface PingsInit {
  options: ResolvedOptions
  counters: Counters
  /** When the link was created (the heartbeat's first "heard"). */
  createdAt: number
  /** Writes a frame straight to the channel (not through the queue). */
  send(frame: Uint8Array): void
}

export class Pings {
  readonly #o: PingsInit
  readonly #heartbeat: Heartbeat
  #rttMs: number | undefined
  #ping: { nonce: number; sentAt: number } | undefined
  /** Probe PINGs in flight, by nonce; each holds its timeout timer until answered, timed out or closed. */
  readonly #probes = new Map<number, PendingProbe>()

  constructor(init: PingsInit) {
    this.#o = init
    const { heartbeatIntervalMs, heartbeatMaxMissed } = init.options
    this.#heartbeat = new Heartbeat(heartbeatIntervalMs, heartbeatMaxMissed, init.createdAt)
  }

  /** Round trip of the last answered heartbeat PING, in ms. */
  get rttMs(): number | undefined {
    return this.#rttMs
  }

  /** Any frame at all arrived from the peer. */
  heard(now: number): void {
    this.#heartbeat.heard(now)
  }

  /** One heartbeat tick of an open link: sends a PING when one is due; true when the peer is dead. */
  tick(now: number): boolean {
    const action = this.#heartbeat.tick(now)
    if (action === 'ping') {
      const nonce = this.#nonce()
      this.#ping = { nonce, sentAt: now }
      this.#o.counters.pingsSent++
      this.#o.send(pingFrame(nonce))
    }
    return action === 'dead'
  }

  /**
   * Sends one PING frame now, straight to the channel like the heartbeat's (not through the
   * queue), and resolves with the round trip in clock ms when the PONG with its nonce arrives.
   * Rejects with ERR_PROBE_TIMEOUT after `probeTimeoutMs`, and ERR_LINK_CLOSED when the link
   * closes first (also when the PING cannot be written). The PONG is a frame heard from the peer,
   * so it counts as liveness, as any frame does; it does not touch the heartbeat's own PING, its
   * `rttMs` or the link's `lastUsed` (a probe is not use). Call it on an open link only.
   */
  probe(): Promise<number> {
    const { clock, probeTimeoutMs } = this.#o.options
    let nonce: number
    do nonce = this.#nonce()
    while (this.#probes.has(nonce) || this.#ping?.nonce === nonce)
    return new Promise<number>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        this.#probes.delete(nonce)
        reject(new TransportError(TransportErrorCode.PROBE_TIMEOUT, `no PONG within ${probeTimeoutMs} ms`))
      }, probeTimeoutMs)
      this.#probes.set(nonce, { sentAt: clock.now(), timer, resolve, reject })
      this.#o.counters.probesSent++
      this.#o.send(pingFrame(nonce)) // a failed write closes the link, which rejects this probe
    })
  }

  /** A PONG arrived: it answers a probe, or else (if its nonce matches) the heartbeat's PING. */
  pong(nonce: number, now: number): void {
    const probe = this.#probes.get(nonce)
    if (probe !== undefined) {
      this.#probes.delete(nonce)
      this.#o.options.clock.clearTimeout(probe.timer)
      this.#o.counters.probesAnswered++
      probe.resolve(now - probe.sentAt)
    } else {
      this.#o.counters.pongsReceived++
      if (this.#ping?.nonce === nonce) this.#rttMs = now - this.#ping.sentAt
    }
  }

  /** The link closed: every probe in flight rejects with ERR_LINK_CLOSED and its timer goes. */
  stop(reason: string): void {
    for (const probe of this.#probes.values()) {
      this.#o.options.clock.clearTimeout(probe.timer)
      probe.reject(new TransportError(TransportErrorCode.LINK_CLOSED, `the connection closed (${reason})`))
    }
    this.#probes.clear()
  }

  #nonce(): number {
    return Math.floor(this.#o.options.random.float() * 2 ** 32)
  }
}
