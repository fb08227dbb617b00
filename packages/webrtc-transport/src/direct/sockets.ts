/**
 * What a platform gives the transport for direct links (DIRECT.md): message sockets it can dial
 * by URL and, if it listens, the sockets others dial it on. Node passes one over `ws` (the peer
 * package's `listenDirect`); a tab passes none, and its links are all WebRTC. Everything a socket
 * delivers is untrusted: the transport authenticates it (direct/seal.ts) before it is a frame.
 */

/** One message socket (a WebSocket). */
export interface DirectSocket {
  /** Sends one binary message. */
  send(bytes: Uint8Array): void
  /** Closes the socket; `close` follows. Safe to call twice. */
  close(): void
  /** Bytes queued and not yet sent. */
  readonly bufferedAmount: number
}

export interface DirectSocketEvents {
  /** The socket is open (dialed sockets only; an accepted one is open when handed over). */
  open(): void
  /** One binary message; anything else is dropped by the platform. */
  message(bytes: Uint8Array): void
  /** The socket is gone (closed either side, or failed). */
  close(): void
}

export interface DirectSockets {
  /** The URL this node's direct offers name, or undefined when it does not listen (it only dials). */
  readonly url: string | undefined
  /** Opens a socket to `url`, which the transport has checked (direct/url.ts). */
  dial(url: string, events: DirectSocketEvents): DirectSocket
  /** Hands each socket dialed to this node to `accept`, which returns its events. Called once. */
  listen(accept: (socket: DirectSocket) => DirectSocketEvents): void
  /** Stops listening and closes every socket it still holds. */
  close(): void
}
