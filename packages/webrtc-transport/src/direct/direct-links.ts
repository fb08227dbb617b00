/**
 * Direct links between nodes that can open sockets (DIRECT.md): a dial of a node that listens
 * offers its URL and a fresh token in a signed `direct` signal instead of a WebRTC offer; the
 * remote dials the URL and both prove they hold the pair's keys (seal.ts). Either side falls
 * back to WebRTC when the other cannot: a tab, a URL the policy refuses (url.ts), a dial that
 * fails or times out, a handshake that does not check.
 *
 * What an attacker cannot do here, and what stops it:
 * - take over a connection attempt: the token travels in a signed signal that relays can read,
 *   but a HELLO must also carry a key whose SHA-1 is the dialed node's ID and a tag only that
 *   key's holder can compute; a wrong one closes the socket and leaves the attempt waiting;
 * - make this node dial anywhere: only URLs the policy allows, once per signed offer;
 * - hold sockets open: at most `maxDirectHandshakes` unauthenticated sockets, each closed after
 *   `directHandshakeTimeoutMs`, and one message each before the check;
 * - burn its CPU: a HELLO costs no public-key operation unless the token, the key's SHA-1 and
 *   the link's `authRatePerSecond` budget all pass (and the pair's keys are derived once).
 */
import { fromHex, toHex } from '@browser-dht/kademlia'
import type { MacKeys } from '../auth/peer-keys.ts'
import type { Link } from '../link/link.ts'
import { SIGNAL_VERSION } from '../signaling/signal.ts'
import type { DirectRejection } from '../stats.ts'
import { DirectChannel } from './channel.ts'
import type { DirectContext, DirectOffer, DirectPlug } from './plug.ts'
import { FrameSeal, helloBytes, helloValid, parseHello, TOKEN_BYTES, welcomeBytes, welcomeValid } from './seal.ts'
import type { DirectSocket, DirectSocketEvents, DirectSockets } from './sockets.ts'
import { directUrlProblem, type DirectUrlPolicy } from './url.ts'

export interface DirectLinksOptions {
  /** Also dial private and loopback addresses (a LAN of Node peers). Default false. */
  privateNetworks?: boolean
}

/** The `direct` option of a transport that opens direct links over `sockets`. */
export function directLinks(sockets: DirectSockets, options: DirectLinksOptions = {}) {
  return (context: DirectContext): DirectPlug => new DirectLinks(context, sockets, options.privateNetworks === true)
}

/** Ignores a socket that is being closed. */
const NO_EVENTS: DirectSocketEvents = { open: () => {}, message: () => {}, close: () => {} }

class DirectLinks implements DirectPlug {
  readonly #o: DirectContext
  readonly #sockets: DirectSockets
  readonly #policy: DirectUrlPolicy
  /** Each dial's offered token (hex), and the dial by its token. */
  readonly #tokens = new Map<Link, string>()
  readonly #offered = new Map<string, Link>()
  /** Sockets accepted and not yet authenticated. */
  #handshakes = 0
  #closed = false

  constructor(context: DirectContext, sockets: DirectSockets, privateNetworks: boolean) {
    this.#o = context
    this.#sockets = sockets
    this.#policy = { loopbackOnly: context.options.loopbackOnly, privateNetworks }
    sockets.listen((socket) => this.#accepted(socket))
  }

  get offers(): boolean {
    return this.#sockets.url !== undefined && !this.#closed
  }

  offer(link: Link): void {
    const url = this.#sockets.url
    if (url === undefined) return
    const token = toHex(this.#o.options.random.bytes(TOKEN_BYTES))
    this.#tokens.set(link, token)
    this.#offered.set(token, link)
    this.#o.counters.directOffered++
    this.#o.signal(link, { v: SIGNAL_VERSION, session: link.session, kind: 'direct', url, token })
  }

  forget(link: Link): void {
    const token = this.#tokens.get(link)
    if (token === undefined) return
    this.#tokens.delete(link)
    this.#offered.delete(token)
  }

  answer(link: Link, offer: DirectOffer): void {
    const { keys } = this.#o
    const publicKey = keys.publicKey(link.remote)
    const token = fromHex(offer.token)
    if (this.#closed || publicKey === undefined || token === undefined || directUrlProblem(offer.url, this.#policy) !== undefined) return this.#decline(link)
    void keys.macKeys(link.remote, publicKey).then(
      (macKeys) => {
        if (macKeys === undefined || link.state !== 'connecting' || this.#closed) return this.#decline(link)
        this.#dial(link, offer.url, token, macKeys)
      },
      () => this.#decline(link),
    )
  }

  close(): void {
    this.#closed = true
    this.#tokens.clear()
    this.#offered.clear()
    this.#sockets.close()
  }

  /** The answering side: dials the remote's URL, says HELLO, and waits for its WELCOME. */
  #dial(link: Link, url: string, token: Uint8Array, keys: MacKeys): void {
    const { options, counters } = this.#o
    let socket: DirectSocket | undefined
    let channel: DirectChannel | undefined
    let settled = false
    /** The handshake failed (or timed out): the remote is asked for a WebRTC offer instead. */
    const give = (): void => {
      if (settled) return
      settled = true
      options.clock.clearTimeout(timer)
      socket?.close()
      this.#decline(link)
    }
    const timer = options.clock.setTimeout(() => {
      if (settled) return
      counters.directRejected.timeout++
      give()
    }, options.directHandshakeTimeoutMs)
    try {
      socket = this.#sockets.dial(url, {
        open: () => {
          if (!settled) socket?.send(helloBytes(token, options.identity.publicKey, keys))
        },
        message: (bytes) => {
          if (channel !== undefined) return channel.received(bytes)
          if (settled || socket === undefined) return
          if (!welcomeValid(bytes, token, keys) || link.state !== 'connecting') {
            counters.directRejected['bad-tag']++
            return give()
          }
          settled = true
          options.clock.clearTimeout(timer)
          channel = this.#attach(link, socket, token, keys)
        },
        close: () => {
          if (channel !== undefined) channel.closed()
          else give()
        },
      })
    } catch {
      give()
    }
  }

  /** The listening side: a socket dialed to this node, which must say a valid HELLO first. */
  #accepted(socket: DirectSocket): DirectSocketEvents {
    const { options, counters } = this.#o
    if (this.#closed || this.#handshakes >= options.maxDirectHandshakes) {
      counters.directRejected['too-many']++
      socket.close()
      return NO_EVENTS
    }
    this.#handshakes++
    let channel: DirectChannel | undefined
    let heard = false
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      this.#handshakes--
      options.clock.clearTimeout(timer)
    }
    const reject = (reason: DirectRejection): void => {
      counters.directRejected[reason]++
      finish()
      socket.close()
    }
    const timer = options.clock.setTimeout(() => {
      if (!done) reject('timeout')
    }, options.directHandshakeTimeoutMs)
    return {
      open: () => {},
      message: (bytes) => {
        if (channel !== undefined) return channel.received(bytes)
        if (heard) return reject('malformed')
        heard = true
        void this.#hello(bytes).then((result) => {
          if (done) return
          if (typeof result === 'string') return reject(result)
          finish()
          socket.send(welcomeBytes(result.token, result.keys))
          channel = this.#attach(result.link, socket, result.token, result.keys)
        })
      },
      close: () => {
        finish()
        channel?.closed()
      },
    }
  }

  /** Checks a HELLO, cheapest first; the dial it answers and the pair's keys, or why not. */
  async #hello(bytes: Uint8Array): Promise<DirectRejection | { link: Link; token: Uint8Array; keys: MacKeys }> {
    const { keys, options, counters } = this.#o
    const hello = parseHello(bytes)
    if (hello === undefined) return 'malformed'
    const link = this.#offered.get(toHex(hello.token))
    if (link === undefined) return 'unknown-token'
    if (keys.vouch(link.remote, hello.publicKey, options.idPuzzleBits) !== 'ok') return 'bad-key'
    let macKeys = keys.ready(link.remote)
    if (macKeys === undefined) {
      if (!link.takeAuthToken()) return 'rate-limited'
      counters.authOperations++
      macKeys = await keys.macKeys(link.remote, hello.publicKey)
    }
    if (macKeys === undefined || !helloValid(hello, macKeys)) return 'bad-tag'
    // The dial may have closed, or been answered by another socket, while the keys were derived.
    if (this.#offered.get(toHex(hello.token)) !== link || link.state !== 'connecting') return 'unknown-token'
    this.forget(link)
    return { link, token: hello.token, keys: macKeys }
  }

  #attach(link: Link, socket: DirectSocket, token: Uint8Array, keys: MacKeys): DirectChannel | undefined {
    const counters = this.#o.counters
    let channel: DirectChannel | undefined
    link.attach((events) => (channel = new DirectChannel(socket, new FrameSeal(token, keys), events, () => counters.directRejected['bad-tag']++)))
    if (channel === undefined) {
      socket.close()
      return undefined
    }
    counters.directOpened++
    return channel
  }

  /** Tells the remote to send a WebRTC offer instead (once per link, while it connects). */
  #decline(link: Link): void {
    if (link.state !== 'connecting' || link.direct) return
    this.#o.counters.directDeclined++
    this.#o.signal(link, { v: SIGNAL_VERSION, session: link.session, kind: 'direct-no' })
  }
}
