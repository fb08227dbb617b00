/** Records what a transport delivers. */
import { type Id, type Message, toHex, type TransportHandler } from '@browser-dht/kademlia'

export interface Received {
  from: Id
  message: Message
}

export class Inbox {
  readonly received: Received[] = []
  readonly invalid: Id[] = []
  readonly handler: TransportHandler = {
    onMessage: (from, message) => this.received.push({ from, message }),
    onInvalid: (from) => this.invalid.push(from),
  }

  from(id: Id): Message[] {
    const hex = toHex(id)
    return this.received.filter((r) => toHex(r.from) === hex).map((r) => r.message)
  }
}
