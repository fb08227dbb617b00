/**
 * `createPeer` in Node: with `dataDir`, the identity in `<dataDir>/identity.json` and the records
 * in files under it (a restart keeps the node ID and the records); without, a new identity and
 * records in memory. WebRTC through node-datachannel (an optional dependency; pass `peerFactory`
 * to use another), WebSockets through `ws`. Everything can be passed instead (see `PeerOptions`).
 */
import { createSocket } from 'node:dgram'
import { createIdentity } from '@browser-dht/identity'
import { checkOptions, cryptoRandom, DEFAULT_ID_PUZZLE_BITS, DEFAULT_WIRE_LIMITS, option, systemClock } from '@browser-dht/kademlia'
import { type DirectSockets, directLinks, LOOPBACK_ADDRESS, nodePeerFactory, type PeerFactory, type WrtcPolyfill } from '@browser-dht/webrtc-transport/node'
import WebSocket from 'ws'
import { PeerError, PeerErrorCode } from './errors.ts'
import { dialOnlySockets, listenDirect } from './node/direct-sockets.ts'
import { DirectoryStore } from './node/directory-store.ts'
import { recordFileLimits } from './node/record-file.ts'
import { loadOrCreateIdentity } from './node/identity-file.ts'
import { checkPeerOptions, type PeerOptions } from './options.ts'
import { Peer, type PeerAbout } from './peer.ts'
import type { WebSocketConstructor } from './signaling/signaling-client.ts'
import { MemoryPeerStore, type PeerStore } from './store.ts'

export * from './index.ts'
export { dialOnlySockets, type DirectDialOptions, type DirectListenOptions, listenDirect } from './node/direct-sockets.ts'
export { DirectoryStore } from './node/directory-store.ts'
export { FileRecordStore, type FileRecordStoreOptions, type LoadReport } from './node/file-record-store.ts'
export { IdentityFileError, IdentityFileErrorCode, loadOrCreateIdentity } from './node/identity-file.ts'

export interface NodePeerOptions extends PeerOptions {
  /** Keep the identity and the records here (created, mode 0700). Default: none (a new identity, records in memory). */
  dataDir?: string
  /** fsync every record write, so it survives a power loss before it counts. Default true. */
  sync?: boolean
  /**
   * The one UDP port all of this peer's WebRTC connections use (ICE UDP mux): a port, or 0 for
   * a free one chosen at start (the default); `null` for a socket per connection. One socket
   * instead of one per connection cuts an idle peer's CPU by half (README, idle cost). Peers in
   * one process need different ports. Only for the default `peerFactory`.
   */
  icePort?: number | null
  /**
   * Direct links to other Node peers: a WebSocket each, instead of a WebRTC connection (the
   * transport's DIRECT.md; tabs always use WebRTC). A direct link costs a fraction of a WebRTC
   * connection's CPU and memory (README, idle cost). This peer listens at `host`:`port` (0: a
   * free port) and other peers dial `url` (default `ws://host:port`); `privateNetworks` lets it
   * dial private addresses too (a LAN). Default: with `loopbackOnly`, listening on 127.0.0.1 at a
   * free port; else not listening, but dialing the public URLs other peers offer. `null`: no
   * direct links at all.
   */
  direct?: NodeDirectOptions | null
}

export interface NodeDirectOptions {
  /** The IPv4 address to listen on; without it the peer does not listen (it only dials). */
  host?: string
  /** Default 0: a free port. */
  port?: number
  /** What other peers dial; needed when `host` is 0.0.0.0. Default `ws://host:port`. */
  url?: string
  /** Also dial 10/8, 172.16/12, 192.168/16, 100.64/10 and 127/8. Default false. */
  privateNetworks?: boolean
  /** Sockets to use instead of a `ws` server at host:port (`listenDirect`; benchmarks wrap them to crash on purpose). */
  sockets?: DirectSockets
}

const NODE_KINDS = { icePort: option.integer(0, 65_535), directPort: option.integer(0, 65_535) }
/** A dial for a direct link that has not connected after this long fails (and WebRTC is used). */
export const DIRECT_DIAL_TIMEOUT_MS = 5000
/** Largest message a direct socket takes: the largest DHT message, with room for a relay's and a MAC's headers. */
export const DIRECT_MAX_MESSAGE_BYTES = DEFAULT_WIRE_LIMITS.maxMessageBytes + 64 * 1024

/** The sockets for these options (the transport closes them, with itself); the listener's URL goes in `about`. */
async function nodeDirectSockets(options: NodePeerOptions, about: PeerAbout): Promise<DirectSockets | undefined> {
  if (options.direct === null) return undefined
  const direct = options.direct ?? (options.loopbackOnly === true ? { host: LOOPBACK_ADDRESS } : {})
  if (direct.sockets !== undefined) {
    if (direct.sockets.url !== undefined) about.directUrl = direct.sockets.url
    return direct.sockets
  }
  const common = { maxMessageBytes: DIRECT_MAX_MESSAGE_BYTES, dialTimeoutMs: DIRECT_DIAL_TIMEOUT_MS }
  const sockets =
    direct.host === undefined
      ? dialOnlySockets(common)
      : await listenDirect({ ...common, host: direct.host, port: direct.port ?? 0, ...(direct.url === undefined ? {} : { url: direct.url }) })
  if (sockets.url !== undefined) about.directUrl = sockets.url
  return sockets
}

/** node-datachannel's WebRTC, loaded once, when the first peer needs it. */
let polyfill: Promise<WrtcPolyfill> | undefined

async function nodeDataChannelFactory(options: NodePeerOptions, about: PeerAbout): Promise<PeerFactory> {
  polyfill ??= import('node-datachannel/polyfill').then(
    (module: { default: WrtcPolyfill }) => module.default,
    (error: unknown) => {
      polyfill = undefined
      throw new PeerError(PeerErrorCode.NO_WEBRTC, 'no WebRTC for Node: install node-datachannel 0.33, or pass peerFactory', { cause: error })
    },
  )
  const wrtc = await polyfill
  if (options.icePort === null) return nodePeerFactory(wrtc)
  const icePort = options.icePort === undefined || options.icePort === 0 ? await freeUdpPort(options.loopbackOnly === true ? LOOPBACK_ADDRESS : '0.0.0.0') : options.icePort
  about.icePort = icePort
  return nodePeerFactory(wrtc, { icePort })
}

/** A UDP port the system has free now (bound, read and let go: another process could take it before ICE binds it). */
export function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.bind(0, address, () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}

/** Starts a DHT peer in this Node process. */
export async function createPeer(options: NodePeerOptions): Promise<Peer> {
  checkPeerOptions(options)
  const invalid = (message: string): PeerError => new PeerError(PeerErrorCode.INVALID_OPTION, message)
  if (options.icePort !== null) checkOptions({ icePort: options.icePort }, NODE_KINDS, invalid)
  checkOptions({ directPort: options.direct?.port }, NODE_KINDS, invalid)
  if (options.direct?.host === '0.0.0.0' && options.direct.url === undefined) throw invalid('direct.url is needed when direct.host is 0.0.0.0: the URL other peers dial')
  const puzzleBits = options.idPuzzleBits ?? DEFAULT_ID_PUZZLE_BITS
  const about: PeerAbout = { identity: 'given', replacedWeakIdentity: false, storage: 'memory', adoptsOrphans: false }
  const peerFactory = options.peerFactory ?? (await nodeDataChannelFactory(options, about))
  let identity = options.identity
  if (identity === undefined && options.dataDir !== undefined) {
    const loaded = await loadOrCreateIdentity(options.dataDir, { puzzleBits })
    identity = loaded.identity
    about.identity = loaded.created ? 'created' : 'restored'
    about.replacedWeakIdentity = loaded.replacedWeak !== undefined
  } else if (identity === undefined) {
    identity = await createIdentity({ puzzleBits })
    about.identity = 'created'
  }
  let store: PeerStore | undefined = options.store
  if (store === undefined && options.dataDir !== undefined) {
    const limits = recordFileLimits(options.dht?.maxValueBytes, options.dht?.maxPublishersPerKey)
    store = new DirectoryStore({ dir: options.dataDir, sync: options.sync ?? true, limits })
    about.storage = `directory ${options.dataDir}`
  }
  if (options.store !== undefined) about.storage = 'given'
  store ??= new MemoryPeerStore()
  let sockets: DirectSockets | undefined
  try {
    sockets = await nodeDirectSockets(options, about)
    const linking = sockets === undefined ? undefined : directLinks(sockets, { privateNetworks: options.direct?.privateNetworks === true })
    return await Peer.start({
      ...options,
      identity,
      store,
      peerFactory,
      ...(linking === undefined ? {} : { directLinks: linking }),
      WebSocket: options.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
      clock: options.clock ?? systemClock(),
      random: options.random ?? cryptoRandom(),
      about,
    })
  } catch (error) {
    sockets?.close()
    if (options.store === undefined) await store.close?.()
    throw error
  }
}
