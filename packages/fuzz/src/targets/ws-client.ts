/**
 * A raw WebSocket client for the signaling-server target: it connects, registers with its
 * identity, and hands every text frame it receives to a callback, as it arrives.
 */
import { type Identity, registerFrame } from '@browser-dht/signaling-server/protocol'
import { WebSocket } from 'ws'

export class RawSocket {
  readonly socket: WebSocket
  /** Set when the socket closed: the close code. */
  closedWith: number | undefined
  onFrame: (text: string) => void = () => {}

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('error', () => {})
    socket.on('close', (code) => {
      this.closedWith = code
    })
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) this.onFrame(data.toString('utf8'))
    })
  }

  /** Connects to `url` and registers as `identity`; rejects after `timeoutMs`. */
  static async register(url: string, identity: Identity, timeoutMs = 5000): Promise<RawSocket> {
    const raw = new RawSocket(new WebSocket(url))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no registration in time')), timeoutMs)
      raw.onFrame = (text) => {
        const frame = JSON.parse(text) as { type?: string; nonce?: string }
        if (frame.type === 'challenge') void registerFrame(identity, String(frame.nonce)).then((register) => raw.socket.send(JSON.stringify(register)), reject)
        else if (frame.type === 'registered') {
          clearTimeout(timer)
          resolve()
        } else reject(new Error(`unexpected ${text.slice(0, 80)}`))
      }
    })
    raw.onFrame = () => {}
    return raw
  }

  /** Sends `data` as a text frame, or with `binary` as a binary one. */
  send(data: string, binary = false): void {
    this.socket.send(data, { binary })
  }

  close(): Promise<void> {
    if (this.closedWith !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.close()
    })
  }
}

/** Resolves when `condition()` holds (checked every millisecond), or rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
