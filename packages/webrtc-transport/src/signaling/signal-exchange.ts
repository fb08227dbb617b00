/**
 * How signals travel and are checked: this node's signals are signed (in the order simple-peer
 * emitted them) and go through the overlay or a signaling server; signals that arrive either way
 * are opened by `openSignal` (signed-signal.ts), one sender at a time in arrival order, and only
 * then handed to the transport, which decides what they do to its connections.
 *
 * What an attacker cannot do here: make this node verify signatures faster than the budget of
 * the carrier allows (a link's `authRatePerSecond`, or per sender through a server), replay a
 * signal (per-sender `ReplayWindows`, so no sender can flush another's), or have a signal from
 * one ID accepted as another's (the signer must be the sender its carrier named).
 */
import { BoundedMap, type Id, idKey, TokenBucket } from '@browser-dht/kademlia'
import { ReplayWindows } from '../auth/replay.ts'
import type { Sequencer } from '../auth/sequencer.ts'
import type { AuthSuite } from '../auth/suite.ts'
import type { ResolvedOptions } from '../options.ts'
import type { Counters } from '../stats.ts'
import { loopbackOnly } from './loopback.ts'
import type { SignalEnvelope } from './signal.ts'
import { maxSignedBytes, type OpenedSignal, openSignal, sealSignal, signalData, signalDataBytes } from './signed-signal.ts'
import type { Signaler } from './signaler.ts'

/** Where a checked signal came from: the overlay (with the relay that carried it) or a server. */
export type SignalArrival = { path: 'overlay'; via: Id; seq: number } | { path: 'server'; signaler: Signaler }

export interface SignalExchangeInit {
  options: ResolvedOptions
  counters: Counters
  suite: AuthSuite
  sequencer: Sequencer
  /** Starts an overlay relay of signed bytes; false when no open channel can take it. */
  relay(to: Id, bytes: Uint8Array): boolean
  /** A signal that passed every check (with the loopback filter applied, when on). */
  received(opened: OpenedSignal, arrival: SignalArrival): void
}

export class SignalExchange {
  readonly #o: SignalExchangeInit
  /** Signalers, each with the function that stops listening to it. */
  readonly #signalers = new Map<Signaler, () => void>()
  /** The signaler each node was last heard through or introduced by. */
  readonly #serverRoutes: BoundedMap<Signaler>
  readonly #replay: ReplayWindows
  /** Signature checks a sender may still cost through a server (the server vouches for `from`). */
  readonly #serverBudgets: BoundedMap<TokenBucket>
  /** Per sender, the signal being opened: the next waits for it, so signals apply in order. */
  readonly #opening = new Map<string, Promise<void>>()
  /** This node's signals are signed one after the other, so they leave in the order made. */
  #signing: Promise<void> = Promise.resolve()
  #closed = false

  constructor(init: SignalExchangeInit) {
    this.#o = init
    const { maxRouteHints, maxReplaySenders, replayWindow } = init.options
    this.#serverRoutes = new BoundedMap(maxRouteHints)
    this.#serverBudgets = new BoundedMap(maxRouteHints)
    this.#replay = new ReplayWindows(maxReplaySenders, replayWindow)
  }

  get signalers(): number {
    return this.#signalers.size
  }

  /** Carries signals through `signaler` too; returns its removal. */
  addSignaler(signaler: Signaler): () => void {
    if (this.#closed || this.#signalers.has(signaler)) return () => {}
    const unlisten = signaler.listen((from, data) => this.#fromServer(signaler, from, data))
    this.#signalers.set(signaler, unlisten)
    return () => {
      this.#signalers.get(signaler)?.()
      this.#signalers.delete(signaler)
    }
  }

  /** `signaler`'s server knows these nodes: signal them through it. */
  introduce(ids: readonly Id[], signaler: Signaler): void {
    for (const id of ids) this.#serverRoutes.remember(idKey(id), signaler)
  }

  /** Signs `envelope` for `to` and sends it through the overlay (with `path` overlay) or a server. */
  send(to: Id, envelope: SignalEnvelope, path: 'overlay' | 'server'): void {
    if (this.#closed) return
    const signal = this.#o.options.loopbackOnly ? loopbackOnly(envelope) : envelope
    if (signal === undefined) return this.#o.counters.drop('non-loopback-candidate')
    const { identity } = this.#o.options
    const seq = this.#o.sequencer.next()
    this.#signing = this.#signing
      .then(() => sealSignal(identity, this.#o.suite, to, seq, signal))
      .then(
        (bytes) => {
          if (this.#closed) return
          this.#o.counters.signalsSent++
          if (path === 'overlay' && this.#o.relay(to, bytes)) {
            this.#o.counters.signalsViaOverlay++
            return
          }
          this.viaServer(to, bytes)
        },
        () => this.#o.counters.drop('seal-failed'),
      )
  }

  /** Sends signed bytes through the server that knows `to`, or through every server when none is known. */
  viaServer(to: Id, bytes: Uint8Array): void {
    const known = this.#serverRoutes.get(idKey(to))
    const carriers = known !== undefined && this.#signalers.has(known) ? [known] : [...this.#signalers.keys()]
    const data = signalData(bytes)
    let sent = false
    for (const signaler of carriers) {
      try {
        sent = signaler.send(to, data) || sent
      } catch {
        // Best effort: another carrier, or the connect timeout, takes it from here.
      }
    }
    if (sent) this.#o.counters.signalsViaServer++
    else this.#o.counters.drop('no-signal-route')
  }

  /** A SIGNAL relay for this node arrived from `origin` on the channel of `via`; `budget` is that link's. */
  fromOverlay(bytes: Uint8Array, relay: { origin: Id; via: Id; seq: number }, budget: () => boolean): void {
    this.#open(bytes, relay.origin, budget, { path: 'overlay', via: relay.via, seq: relay.seq })
  }

  /** Stops listening to every signaler and drops whatever is still being opened. */
  close(): void {
    this.#closed = true
    for (const unlisten of this.#signalers.values()) unlisten()
    this.#signalers.clear()
  }

  #fromServer(signaler: Signaler, from: unknown, data: unknown): void {
    if (this.#closed) return
    const bytes = signalDataBytes(data, maxSignedBytes(this.#o.options.maxSignalBytes))
    if (bytes === undefined || !(from instanceof Uint8Array)) {
      this.#o.counters.signalsRejected.malformed++
      return this.#o.counters.drop('bad-signal')
    }
    const key = idKey(from)
    const { authBurst, authRatePerSecond, clock } = this.#o.options
    let bucket = this.#serverBudgets.get(key)
    if (bucket === undefined) {
      bucket = new TokenBucket({ burst: authBurst, perSecond: authRatePerSecond, now: () => clock.now() })
      this.#serverBudgets.remember(key, bucket)
    }
    const budget = bucket
    this.#open(bytes, from, () => budget.take(), { path: 'server', signaler })
  }

  /** Opens `bytes` from `claimed` after the signals of that sender already being opened. */
  #open(bytes: Uint8Array, claimed: Id, budget: () => boolean, arrival: SignalArrival): void {
    const key = idKey(claimed)
    const previous = this.#opening.get(key) ?? Promise.resolve()
    const next = previous.then(() => this.#check(bytes, claimed, budget, arrival))
    this.#opening.set(key, next)
    void next.finally(() => {
      if (this.#opening.get(key) === next) this.#opening.delete(key)
    })
  }

  async #check(bytes: Uint8Array, claimed: Id, budget: () => boolean, arrival: SignalArrival): Promise<void> {
    if (this.#closed) return
    const { options, counters, suite } = this.#o
    const result = await openSignal(bytes, {
      self: options.id,
      claimed,
      now: options.clock.now(),
      maxSignalBytes: options.maxSignalBytes,
      maxAuthAgeMs: options.maxAuthAgeMs,
      idPuzzleBits: options.idPuzzleBits,
      replay: this.#replay,
      suite,
      budget: () => budget() && ++counters.authOperations > 0,
    })
    if (this.#closed) return
    if (!result.ok) {
      counters.signalsRejected[result.reason]++
      return counters.drop('bad-signal')
    }
    const signal = options.loopbackOnly ? loopbackOnly(result.opened.signal) : result.opened.signal
    if (signal === undefined) return counters.drop('non-loopback-candidate')
    counters.signalsReceived++
    if (arrival.path === 'server') this.#serverRoutes.remember(idKey(claimed), arrival.signaler)
    this.#o.received({ ...result.opened, signal }, arrival)
  }
}
