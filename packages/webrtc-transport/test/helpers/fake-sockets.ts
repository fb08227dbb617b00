/**
 * In-memory direct-link sockets on a virtual clock: a hub of listeners by URL, sockets whose
 * messages arrive after `latencyMs`, and a way in for a test playing an attacker (`connect`).
 */
import type { Clock } from '@browser-dht/kademlia'
import type { DirectSocket, DirectSocketEvents, DirectSockets } from '../../src/direct/sockets.ts'

const NONE: DirectSocketEvents = { open: () => {}, message: () => {}, close: () => {} }

export class FakeSocket implements DirectSocket {
  readonly sent: Uint8Array[] = []
  readonly received: Uint8Array[] = []
  bufferedAmount = 0
  closed = false
  partner: FakeSocket | undefined

  constructor(
    readonly hub: FakeSocketHub,
    public events: DirectSocketEvents,
  ) {}

  send(bytes: Uint8Array): void {
    if (this.closed) return
    this.sent.push(Uint8Array.from(bytes))
    this.deliver(bytes)
  }

  /** Delivers bytes to the other end as if this end sent them, without recording them (an injection). */
  deliver(bytes: Uint8Array): void {
    const partner = this.partner
    const copy = Uint8Array.from(bytes)
    this.hub.clock.setTimeout(() => {
      if (partner === undefined || partner.closed) return
      partner.received.push(copy)
      partner.events.message(copy)
    }, this.hub.latencyMs)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.hub.clock.setTimeout(() => this.events.close(), 0)
    const partner = this.partner
    if (partner !== undefined) this.hub.clock.setTimeout(() => partner.close(), this.hub.latencyMs)
  }
}

export class FakeSocketHub {
  readonly #listeners = new Map<string, (socket: DirectSocket) => DirectSocketEvents>()
  /** Every URL dialed, in order. */
  readonly dialed: string[] = []
  /** Every socket made, both ends. */
  readonly all: FakeSocket[] = []

  constructor(
    readonly clock: Clock,
    readonly latencyMs = 1,
  ) {}

  /** Sockets for one node, listening at `url` (none: it only dials). */
  sockets(url?: string): DirectSockets {
    let open: FakeSocket[] = []
    return {
      url,
      dial: (target, events) => {
        const socket = this.#dial(target, events)
        open.push(socket)
        return socket
      },
      listen: (accept) => {
        if (url !== undefined) this.#listeners.set(url, (socket) => (open.push(socket as FakeSocket), accept(socket)))
      },
      close: () => {
        if (url !== undefined) this.#listeners.delete(url)
        for (const socket of open) socket.close()
        open = []
      },
    }
  }

  /** A socket to `url` that a test drives by hand (an attacker's); its messages are in `received`. */
  connect(url: string): FakeSocket {
    return this.#dial(url, NONE)
  }

  #dial(url: string, events: DirectSocketEvents): FakeSocket {
    this.dialed.push(url)
    const client = new FakeSocket(this, events)
    this.all.push(client)
    this.clock.setTimeout(() => {
      const accept = this.#listeners.get(url)
      if (accept === undefined || client.closed) return client.close()
      const server = new FakeSocket(this, NONE)
      this.all.push(server)
      server.partner = client
      client.partner = server
      server.events = accept(server)
      client.events.open()
    }, this.latencyMs)
    return client
  }
}
