/**
 * The core's `Transport` over WebRTC data channels. It sends a DHT message on the open channel to
 * its target when there is one, else through the overlay (a RELAY frame passed along open channels
 * toward the target, RELAY.md), and only dials on its own when it has no channel at all. It
 * accepts connections offered through signaling servers or through the overlay, binds every
 * channel to the node ID that signed its handshake, and authenticates every relayed DHT message
 * end to end (auth/relay-seal.ts): only what an origin provably sent is delivered, answered or
 * learned from. It watches liveness with its own heartbeat, and keeps every queue, every rate and
 * the number of connections bounded. See README.md for the frame format, the glare rule and the
 * budget policy.
 *
 * This class is the facade: it holds the identity and the public API, and wires the parts in
 * transport/ together: the link table and connection budget (link-table.ts), relay routing
 * (relaying.ts), signal routing (signal-routing.ts) and the delivery of DHT messages (delivery.ts).
 */
import {
  Emitter,
  type Id,
  idEquals,
  type Message,
  type Signer,
  toHex,
  type Transport,
  type TransportHandler,
  type Verify,
} from '@browser-dht/kademlia'
import { PeerKeys } from './auth/peer-keys.ts'
import { Sequencer } from './auth/sequencer.ts'
import { type AuthSuite, createSuite } from './auth/suite.ts'
import type { DirectPlug } from './direct/plug.ts'
import type { TransportEvents } from './events.ts'
import type { Link, LinkHooks } from './link/link.ts'
import { resolveOptions, type ResolvedOptions, type WebRtcTransportOptions } from './options.ts'
import type { Signaler } from './signaling/signaler.ts'
import { TransportError, TransportErrorCode } from './errors.ts'
import { type CloseReason, Counters, type TransportStats } from './stats.ts'
import type { TransportContext } from './transport/context.ts'
import { Neighbours } from './overlay/neighbours.ts'
import { Delivery } from './transport/delivery.ts'
import { type ConnectionPolicy, LinkTable, type PeerInfo } from './transport/link-table.ts'
import { Relaying } from './transport/relaying.ts'
import { SignalRouting } from './transport/signal-routing.ts'
import { ByeReason, RelayKind } from './wire/frames.ts'

export type { ConnectionPolicy, PeerInfo } from './transport/link-table.ts'

export class WebRtcTransport extends Emitter<TransportEvents> implements Transport {
  readonly id: Id
  readonly options: ResolvedOptions
  /** The network's ID puzzle, which the node checks too (the core's `idPuzzleBits` default). */
  readonly idPuzzleBits: number
  /** Signs the node's records with its identity key (the core's `signer` default). */
  readonly signer: Signer
  /** Checks record signatures with the same suite (WebCrypto where the platform has Ed25519). */
  readonly verify: Verify
  readonly #counters = new Counters()
  readonly #suite: AuthSuite
  readonly #links: LinkTable
  readonly #relaying: Relaying
  readonly #signals: SignalRouting
  readonly #delivery: Delivery
  readonly #neighbours: Neighbours
  readonly #direct: DirectPlug | undefined
  #closed = false

  constructor(options: WebRtcTransportOptions) {
    super()
    this.options = resolveOptions(options)
    this.id = this.options.id
    this.idPuzzleBits = this.options.idPuzzleBits
    const { identity, clock, maxPeerKeys } = this.options
    const counters = this.#counters
    const sequencer = new Sequencer(clock)
    const suite = (this.#suite = createSuite(identity, this.options.authCrypto))
    this.signer = { publicKey: identity.publicKey, sign: (message) => suite.sign(message) }
    this.verify = (signature, message, publicKey) => suite.verify(signature, message, publicKey)
    const keys = new PeerKeys(this.id, suite, maxPeerKeys)
    const hooks: LinkHooks = {
      signal: (link, signal) => this.#signals.send(link, signal),
      opened: (link) => this.#opened(link),
      message: (link, payload) => this.#delivery.deliver(link.remote, link.remote, payload),
      relay: (link, frame) => this.#relaying.arrived(link, frame),
      undeliverable: (link, frame) => this.#relaying.undeliverable(link, frame),
      neighbours: (link, ids) => this.#neighbours.heard(link.remote, ids),
      closed: (link, reason, queuedDropped) => this.#linkClosed(link, reason, queuedDropped),
    }
    const links = (this.#links = new LinkTable({ options: this.options, counters, hooks, direct: () => this.#direct }))
    const context: TransportContext = { options: this.options, counters, suite, keys, sequencer, links }
    const neighbours = (this.#neighbours = new Neighbours({
      self: this.id,
      clock,
      delayMs: this.options.neighbourListDelayMs,
      counters,
      links: { open: () => links.openLinks(), isOpen: (id) => links.isOpen(id) },
    }))
    this.#relaying = new Relaying({
      ...context,
      neighbours,
      deliver: (from, via, payload) => this.#delivery.deliver(from, via, payload),
      signal: (frame, link) => this.#signals.fromOverlay(frame, link),
      signalFailed: (target, signed) => this.#signals.viaServer(target, signed),
      messageFailed: (target, encoded) => this.#delivery.undeliverable(target, encoded),
    })
    const relaying = this.#relaying
    this.#signals = new SignalRouting({
      ...context,
      relay: (to, bytes) => relaying.start(to, RelayKind.SIGNAL, bytes),
      cameVia: (from, via, seq) => relaying.hints.learn(from, via, 'reverse', seq),
      direct: () => this.#direct,
    })
    this.#direct = this.options.direct?.({ options: this.options, counters, keys, signal: (link, envelope) => this.#signals.send(link, envelope) })
    this.#delivery = new Delivery({ options: this.options, counters, links, relaying })
    for (const signaler of this.options.signalers) this.addSignaler(signaler)
  }

  /** Which public-key implementation authenticates (`authCrypto`; `auto` picks WebCrypto when it can). */
  get authSuite(): 'webcrypto' | 'noble' {
    return this.#suite.name
  }

  /** Carries signals through `signaler` too (one more signaling server); returns its removal. */
  addSignaler(signaler: Signaler): () => void {
    return this.#closed ? () => {} : this.#signals.addSignaler(signaler)
  }

  /** `signaler`'s server knows these nodes (it named them as peers): signal them through it. */
  introduce(ids: readonly Id[], signaler: Signaler): void {
    this.#signals.introduce(ids, signaler)
  }

  /** Sets the policy that decides which connections are kept when the budget is full. */
  setPolicy(policy: ConnectionPolicy | undefined): void {
    this.#links.setPolicy(policy)
  }

  send(to: Id, message: Message): void {
    if (this.#closed) return this.#counters.drop('transport-closed')
    if (idEquals(to, this.id)) return this.#counters.drop('self')
    this.#delivery.send(to, message)
  }

  /**
   * True when a message to `to` goes on a data channel of its own (no relay in between), so an
   * unanswered request is `to`'s own failure (the core's proven failures).
   */
  direct(to: Id): boolean {
    return this.isConnected(to)
  }

  /**
   * Opens a connection to `id` (signaled through the overlay when this node has an open channel,
   * else through a signaling server) unless there is one. False when the budget has no room.
   */
  connect(id: Id): boolean {
    if (this.#closed || idEquals(id, this.id)) return false
    return this.#links.has(id) || this.#links.dial(id, true) !== undefined
  }

  listen(handler: TransportHandler): void {
    this.#delivery.listen(handler)
  }

  /**
   * Says goodbye on every open channel (BYE leaving, so peers drop this node at once), closes
   * every connection, stops listening for signals and drops everything.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#signals.close()
    this.#direct?.close()
    this.#relaying.close()
    this.#neighbours.close()
    this.#links.close(ByeReason.LEAVING)
    this.#delivery.close()
  }

  /** Closes the connection to `id`, if there is one, telling the peer it is for the budget's sake. */
  disconnect(id: Id): void {
    this.#links.get(id)?.close('disconnected', ByeReason.BUDGET)
  }

  /** True when a data channel to `id` is open. */
  isConnected(id: Id): boolean {
    return this.#links.isOpen(id)
  }

  /**
   * The raw data-channel round trip to `id`, in clock ms: one PING frame (type 1, a fresh u32
   * nonce) written on the open channel, timed until the PONG echoing that nonce arrives. It does
   * not dial: with no open channel it rejects with ERR_NOT_CONNECTED. It rejects with
   * ERR_PROBE_TIMEOUT after `probeTimeoutMs` without the PONG, and with ERR_LINK_CLOSED if the
   * connection closes first. The PONG counts as liveness like any frame heard, but leaves the
   * heartbeat's PING, `peers()[].rttMs` and the idle clock (`lastUsed`) alone.
   */
  probe(id: Id): Promise<number> {
    const link = this.#closed ? undefined : this.#links.get(id)
    if (link?.state !== 'open') {
      return Promise.reject(new TransportError(TransportErrorCode.NOT_CONNECTED, `no open data channel to ${toHex(id)}`))
    }
    return link.probe()
  }

  /** Every connection, connecting or open. */
  peers(): PeerInfo[] {
    return this.#links.peers()
  }

  stats(): TransportStats {
    const open = this.#links.openCount()
    return this.#counters.snapshot(open, this.#links.size - open)
  }

  #opened(link: Link): void {
    this.#counters.connectionsOpened++
    this.#neighbours.changed()
    const connectMs = (link.openedAt ?? link.createdAt) - link.createdAt
    this.emit('peer:connected', { id: link.remote, initiator: link.initiator, connectMs })
  }

  #linkClosed(link: Link, reason: CloseReason, queuedDropped: number): void {
    this.#direct?.forget(link)
    const wasOpen = this.#links.remove(link, reason, queuedDropped)
    if (wasOpen) {
      this.#neighbours.forget(link.remote)
      this.#neighbours.changed()
      this.emit('peer:disconnected', { id: link.remote, reason })
    }
    else if (reason !== 'glare-lost' && reason !== 'replaced') {
      this.emit('connect:failed', { id: link.remote, reason, queuedDropped })
    }
  }
}
