/**
 * An authenticated direct socket as the link sees a peer connection (`PeerLike`): frames go out
 * sealed and come in checked (seal.ts). A message whose tag does not check is never a frame: the
 * socket closes (`error`), since only an attacker on the path, or a broken remote, sends one.
 */
import type { PeerEvents, PeerLike } from '../peer/peer.ts'
import type { FrameSeal } from './seal.ts'
import type { DirectSocket } from './sockets.ts'

export class DirectChannel implements PeerLike {
  readonly #socket: DirectSocket
  readonly #seal: FrameSeal
  readonly #events: PeerEvents
  readonly #badTag: () => void
  #closed = false

  constructor(socket: DirectSocket, seal: FrameSeal, events: PeerEvents, badTag: () => void) {
    this.#socket = socket
    this.#seal = seal
    this.#events = events
    this.#badTag = badTag
  }

  get bufferSize(): number {
    return this.#socket.bufferedAmount
  }

  /** A direct link has no signals after its offer. */
  signal(): void {}

  send(frame: Uint8Array): void {
    this.#socket.send(this.#seal.seal(frame))
  }

  destroy(): void {
    this.#socket.close()
    this.closed()
  }

  /** One message from the socket. */
  received(bytes: Uint8Array): void {
    if (this.#closed) return
    const frame = this.#seal.open(bytes)
    if (frame !== undefined) return this.#events.data(frame)
    this.#badTag()
    this.#socket.close()
    this.#closed = true
    this.#events.error(new Error('a direct frame failed its MAC'))
  }

  /** The socket is gone. */
  closed(): void {
    if (this.#closed) return
    this.#closed = true
    this.#events.close()
  }
}
