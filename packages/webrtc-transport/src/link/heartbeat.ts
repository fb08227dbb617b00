/**
 * Liveness of one open connection, as pure arithmetic on times handed in. A channel's 'close'
 * event is not enough: Chrome may never report ICE 'failed', and a peer whose tab froze or whose
 * machine vanished leaves the channel open and silent.
 *
 * The transport calls `tick` every `intervalMs` (or later: a throttled background tab runs timers
 * about once a minute) and `heard` whenever any frame arrives. A tick that finds the peer silent
 * for `intervalMs` asks for a PING; a tick that finds `maxMissed` PINGs sent with nothing heard
 * since the first of them declares the peer dead.
 *
 * Because misses are counted in ticks, not in elapsed time, a late tick on this side never makes
 * a live peer look dead: the PONG is sent from the remote's message handler (not throttled) and
 * arrives long before the next tick. Detection time after the peer goes silent is between
 * (maxMissed + 1) and (maxMissed + 2) ticks: 20–25 s with the defaults in a foreground tab, about
 * four to five minutes in a throttled one.
 */
export type HeartbeatAction = 'none' | 'ping' | 'dead'

export class Heartbeat {
  #lastHeard: number
  #unanswered = 0

  constructor(
    readonly intervalMs: number,
    readonly maxMissed: number,
    now: number,
  ) {
    this.#lastHeard = now
  }

  /** PINGs sent since anything was last heard. */
  get unanswered(): number {
    return this.#unanswered
  }

  get lastHeard(): number {
    return this.#lastHeard
  }

  /** Any frame at all arrived from the peer. */
  heard(now: number): void {
    this.#lastHeard = now
    this.#unanswered = 0
  }

  tick(now: number): HeartbeatAction {
    if (this.#unanswered >= this.maxMissed) return 'dead'
    if (now - this.#lastHeard < this.intervalMs) return 'none'
    this.#unanswered++
    return 'ping'
  }
}
