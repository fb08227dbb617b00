/**
 * Delivery of DHT messages. Out: on the open channel to the target when there is one, else
 * relayed through the overlay (relaying.ts), else on a connection dialed for it (its queue holds
 * the message while it opens). In: from a channel, or from a relay once authenticated, to the
 * node's handler, with the route hints a NODES answer teaches on the way; and a relayed request
 * that cannot arrive is reported undeliverable at once.
 */
import {
  decodeMessage,
  deliverBytes,
  encodeMessage,
  type Id,
  idEquals,
  isRequest,
  type Message,
  type TransportHandler,
} from '@browser-dht/kademlia'
import type { RouteHints } from '../overlay/routes.ts'
import { dhtFrame, RelayKind } from '../wire/frames.ts'
import type { TransportContext } from './context.ts'
import type { Relaying } from './relaying.ts'

export interface DeliveryInit extends Pick<TransportContext, 'options' | 'counters' | 'links'> {
  relaying: Relaying
}

export class Delivery {
  readonly #o: DeliveryInit
  #handler: TransportHandler | undefined
  /** The peer whose channel brought the DHT message being delivered (for route hints). */
  #arrivingVia: Id | undefined

  constructor(init: DeliveryInit) {
    this.#o = init
  }

  /** Sends `message` to `to` (the transport checked it is open and `to` is not this node). */
  send(to: Id, message: Message): void {
    const { options, counters, links, relaying } = this.#o
    const bytes = encodeMessage(message)
    if (bytes.length > options.limits.maxMessageBytes) return counters.drop('message-too-large')
    const link = links.get(to)
    if (link === undefined && relaying.start(to, RelayKind.DHT, bytes, isRequest(message))) return
    const target = link ?? links.dial(to)
    if (target === undefined) return
    const dropped = target.sendFrame(dhtFrame(bytes))
    if (dropped !== undefined) counters.drop(dropped)
  }

  /** Hands what arrives to `handler`, learning route hints from NODES answers first. */
  listen(handler: TransportHandler): void {
    this.#handler = {
      onMessage: (from, message) => {
        this.#learnFrom(message)
        handler.onMessage(from, message)
      },
      onInvalid: (from, failure) => handler.onInvalid(from, failure),
      onUndeliverable: (to, message) => handler.onUndeliverable?.(to, message),
    }
  }

  /** Hands a DHT message from `from` (that came in on `via`'s channel) to the node. */
  deliver(from: Id, via: Id, payload: Uint8Array): void {
    if (this.#handler === undefined) return this.#o.counters.drop('no-handler')
    this.#arrivingVia = via
    try {
      deliverBytes(this.#handler, from, payload, this.#o.options.limits)
    } finally {
      this.#arrivingVia = undefined
    }
  }

  /** A request this node relayed cannot arrive: it fails now (an unproven failure: a relay said so), not after its timeout. */
  undeliverable(to: Id, encoded: Uint8Array): void {
    const decoded = decodeMessage(encoded, this.#o.options.limits)
    if (decoded.ok) this.#handler?.onUndeliverable?.(to, decoded.message)
  }

  /** Stops delivering: the handler is dropped. */
  close(): void {
    this.#handler = undefined
  }

  /** Route hints from a NODES answer: the peer that brought it leads toward the nodes it lists. */
  #learnFrom(message: Message): void {
    const via = this.#arrivingVia
    if (via === undefined || message.type !== 'NODES') return
    const hints: RouteHints = this.#o.relaying.hints
    for (const id of message.nodes) if (!idEquals(id, this.#o.options.id)) hints.learn(id, via, 'referral')
  }
}
