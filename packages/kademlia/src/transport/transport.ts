/**
 * The seam between the core and whatever carries bytes. The core addresses peers by node ID only;
 * how a message reaches that node (a WebRTC data channel, an in-memory queue) is the transport's
 * business. A transport that moves bytes encodes with `encodeMessage` and hands what it receives
 * to `deliverBytes`, so every transport shares the one parser.
 */
import type { Signer, Verify } from '../keyspace/ed25519.ts'
import type { Id } from '../keyspace/id.ts'
import { type DecodeResult, decodeMessage, type WireLimits } from '../wire/codec.ts'
import type { Message } from '../wire/messages.ts'

export type DecodeFailure = Extract<DecodeResult, { ok: false }>

export interface TransportHandler {
  /** A well-formed message from `from`. The transport vouches for `from`. */
  onMessage(from: Id, message: Message): void
  /** Bytes from `from` that did not parse. */
  onInvalid(from: Id, failure: DecodeFailure): void
  /**
   * Optional: the transport learned that `message`, sent to `to`, will not arrive (for example a
   * relay found no way to it). A request fails at once with ERR_UNREACHABLE instead of timing out.
   * Such a failure is never proven (whoever reported it may be lying): see `Transport.direct`.
   */
  onUndeliverable?(to: Id, message: Message): void
}

export interface Transport {
  /** Sends a message to node `to`. Best effort: a lost message shows up as a request timeout. */
  send(to: Id, message: Message): void
  /** Sets the receiver of everything addressed to this node. Called once, by the node's start. */
  listen(handler: TransportHandler): void
  /** Stops sending and delivering. Called by the node's stop. */
  close(): void
  /**
   * Optional: true when a message to `to` now travels on a channel only `to` can answer on (no
   * relay in between), so that a request to it left unanswered is `to`'s own fault. The RPC layer
   * asks when it sends a request: a timeout of a request sent directly is a proven failure, one
   * sent through a relay is not (the relay may have dropped it). Absent (a MemoryNetwork, a
   * UDP-like transport): every timeout is proven.
   */
  direct?(to: Id): boolean
  /**
   * Optional: the network's ID puzzle difficulty (leading zero bits of SHA-1(ID), see
   * keyspace/puzzle.ts), the default of the node option `idPuzzleBits`. A transport whose IDs
   * come from key pairs sets it; the MemoryNetwork leaves it unset (no puzzle).
   */
  readonly idPuzzleBits?: number
  /**
   * Signs with the identity behind this transport's ID, and checks signatures (the node options
   * `signer` and `verify` default to these): a transport that authenticates its peers by key
   * already holds the key a node's records are signed with.
   */
  readonly signer?: Signer
  readonly verify?: Verify
}

/** Parses bytes received from `from` and passes the result to the right handler method. */
export function deliverBytes(handler: TransportHandler, from: Id, bytes: Uint8Array, limits: WireLimits): void {
  const result = decodeMessage(bytes, limits)
  if (result.ok) handler.onMessage(from, result.message)
  else handler.onInvalid(from, result)
}
