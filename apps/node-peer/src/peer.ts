/**
 * One headless DHT peer of the CLI: `createPeer` from `@browser-dht/peer` (identity and records
 * in its data directory, node-datachannel's WebRTC) with the CLI's log lines. Tabs and Node peers
 * form one overlay. Many peers can share a process (`--count`), each with its own data directory.
 */
import { toHex, type Tunables } from '@browser-dht/kademlia'
import { createPeer, type NodeDirectOptions, type Peer, type PeerTimings } from '@browser-dht/peer'
import type { PeerFactory } from '@browser-dht/webrtc-transport'
import type { Logger } from './log.ts'

/** The CLI's own timing: a status line this often. */
export const STATUS_MS = 60_000

export interface PeerConfig {
  /** Identity file, `records/` and `published/` live here. */
  dataDir: string
  /** Signaling servers to enter through (the peer's own endpoint included, if it serves one). */
  signals: readonly string[]
  k: number
  /** WebRTC connections at most. */
  budget: number
  /** The UDP port of all its WebRTC connections (ICE UDP mux). Default 0: a free one. */
  icePort?: number
  /** Only 127.0.0.1 ICE candidates (tests on one machine). */
  loopback: boolean
  log: Logger
  /** fsync every record write (off for hundreds of peers in one process). Default true. */
  sync?: boolean
  /** Core tunables beyond k (tests shorten the maintenance intervals). */
  node?: Partial<Tunables>
  /** The network's ID puzzle. Default: the transport's (`DEFAULT_ID_PUZZLE_BITS`). */
  idPuzzleBits?: number
  /** WebRTC connections (benchmarks wrap it to fail on purpose). Default: node-datachannel's. */
  peerFactory?: PeerFactory
  /** Direct links to other Node peers (`createPeer`'s `direct`); null: none. Default: `createPeer`'s. */
  direct?: NodeDirectOptions | null
  /** The peer's own timings. */
  timings?: Partial<PeerTimings>
}

export interface PeerStatus {
  id: string
  connections: number
  contacts: number
  records: number
  connectionsCreated: number
  relaysForwarded: number
}

export class NodePeer {
  readonly peer: Peer
  readonly #log: Logger
  readonly #status: ReturnType<typeof setInterval>

  private constructor(peer: Peer, log: Logger) {
    this.peer = peer
    this.#log = log
    this.#status = setInterval(() => log.info('status', { ...this.status(), id: undefined }), STATUS_MS)
    this.#status.unref()
  }

  get id(): string {
    return this.peer.id
  }

  get node(): Peer['node'] {
    return this.peer.node
  }

  get transport(): Peer['transport'] {
    return this.peer.transport
  }

  /** Loads (or creates) the identity and records in `dataDir`, then enters the network. */
  static async start(config: PeerConfig): Promise<NodePeer> {
    const peer = await createPeer({
      signal: config.signals,
      dataDir: config.dataDir,
      sync: config.sync ?? true,
      loopbackOnly: config.loopback,
      dht: { ...config.node, k: config.k },
      transport: { maxConnections: config.budget },
      ...(config.icePort === undefined ? {} : { icePort: config.icePort }),
      ...(config.idPuzzleBits === undefined ? {} : { idPuzzleBits: config.idPuzzleBits }),
      ...(config.peerFactory === undefined ? {} : { peerFactory: config.peerFactory }),
      ...(config.direct === undefined ? {} : { direct: config.direct }),
      ...(config.timings === undefined ? {} : { timings: config.timings }),
    })
    const log = config.log.forPeer(peer.identity.id)
    if (peer.about.replacedWeakIdentity) log.warn('identity-replaced', { reason: 'the stored ID does not solve the ID puzzle' })
    log.info('started', { identity: peer.about.identity, records: peer.node.records.count, data: config.dataDir, icePort: peer.about.icePort, directUrl: peer.about.directUrl })
    NodePeer.#logEvents(peer, log)
    return new NodePeer(peer, log)
  }

  static #logEvents(peer: Peer, log: Logger): void {
    peer.on('joined', ({ contacts }) => log.info('joined', { contacts, connections: peer.transport.stats().open }))
    peer.on('entry:failed', ({ peers }) => log.warn('join-failed', { peers }))
    peer.on('warning', ({ code, message }) => log.warn('warning', { code, message }))
    peer.on('peer:disconnected', ({ id, reason, forgotten }) => {
      if (forgotten) log.info('peer-gone', { peer: toHex(id).slice(0, 8), reason })
    })
    peer.on('signaling', ({ url, state }) => {
      if (state.kind === 'connected') log.info('signaling-connected', { url })
      else if (state.kind === 'unreachable') log.warn('signaling-unreachable', { url, reason: state.reason })
      else if (state.kind === 'replaced') log.error('signaling-replaced', { url })
    })
  }

  status(): PeerStatus {
    const stats = this.peer.transport.stats()
    return {
      id: this.id,
      connections: stats.open,
      contacts: this.peer.node.table.size,
      records: this.peer.node.records.count,
      connectionsCreated: stats.connectionsCreated,
      relaysForwarded: stats.relaysForwarded,
    }
  }

  /** Leaves cleanly: the peer's `close()` (BYE on every connection, writes settled). */
  async stop(): Promise<void> {
    clearInterval(this.#status)
    await this.peer.close()
    this.#log.info('stopped')
  }
}
