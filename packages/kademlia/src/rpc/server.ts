/**
 * Serving requests from peers: each request goes to its handler (handlers.ts) and the answer back
 * to the asker. Handlers that touch storage (STORE, FIND_VALUE) may take a while, so at most
 * `maxConcurrentInbound` run at once; beyond that a request is answered BUSY at once, and a
 * handler that fails is answered BUSY too: nothing a peer sends throws out of the node.
 */
import type { Id } from '../keyspace/id.ts'
import { type Message, RemoteError, type Request } from '../wire/messages.ts'
import { handle, type HandlerContext } from './handlers.ts'

export interface ServerOptions {
  context: HandlerContext
  /** Sends an answer (the node drops it once stopped). */
  send(to: Id, message: Message): void
  maxConcurrentInbound: number
}

export class Server {
  readonly #o: ServerOptions
  #inbound = 0
  /** Requests served (answered by a handler, not BUSY). */
  served = 0

  constructor(options: ServerOptions) {
    this.#o = options
  }

  serve(from: Id, request: Request): void {
    const { send, context, maxConcurrentInbound } = this.#o
    const slow = request.type === 'STORE' || request.type === 'FIND_VALUE'
    if (slow && this.#inbound >= maxConcurrentInbound) return send(from, { type: 'ERROR', rid: request.rid, code: RemoteError.BUSY })
    this.served++
    const response = handle(context, from, request)
    if (!(response instanceof Promise)) return send(from, response)
    this.#inbound++
    response
      .then((answer) => send(from, answer))
      .catch(() => send(from, { type: 'ERROR', rid: request.rid, code: RemoteError.BUSY }))
      .finally(() => this.#inbound--)
  }
}
