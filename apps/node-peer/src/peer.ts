/**
 * One headless DHT peer: the same Kademlia node, WebRTC transport (on node-datachannel) and
 * connection manager a browser tab runs, with its identity and the records it holds on disk, and
 * one signaling link per server it enters through. Tabs and Node peers form one overlay. Many
 * peers can share a process (`--count`), each with its own data directory.
 */
import { join } from 'node:path'
import polyfill from 'node-datachannel/polyfill'
import WebSocket from 'ws'
import { createNode, cryptoRandom, type KademliaNode, systemClock, toHex, type Tunables } from '@browser-dht/kademlia'
import { ClientSignaler, Entry, SignalingLink, type WebSocketConstructor } from '@browser-dht/signaling-server/client'
import { ConnectionManager, nodePeerFactory, PEER_GONE, type PeerFactory, WebRtcTransport } from '@browser-dht/webrtc-transport/node'
import { FileRecordStore } from './file-record-store.ts'
import { loadOrCreateIdentity } from './identity-file.ts'
import type { Logger } from './log.ts'

/** Every timing of the peer's own housekeeping, in one place. */
export const PEER_TIMINGS = {
  /** Retry an unreachable signaling server this often. */
  signalingRetryMs: 3000,
  /** With fewer than k contacts in the routing table, ask the servers for peers again this often. */
  rejoinMs: 5000,
  /** Log a status line this often. */
  statusMs: 60_000,
  /** On stop, wait this long for BYE frames to leave before the process may exit. */
  byeWaitMs: 300,
} as const

/** One peer factory for the whole process: node-datachannel's WebRTC under simple-peer. */
const peerFactory: PeerFactory = nodePeerFactory(polyfill)

export interface PeerConfig {
  /** Identity file and `records/` live here. */
  dataDir: string
  /** Signaling servers to enter through (the peer's own endpoint included, if it serves one). */
  signals: readonly string[]
  k: number
  /** WebRTC connections at most. */
  budget: number
  /** Only 127.0.0.1 ICE candidates (tests on one machine). */
  loopback: boolean
  log: Logger
  /** fsync every record write (off for hundreds of peers in one process). Default true. */
  sync?: boolean
  /** Core tunables beyond k (tests shorten the maintenance intervals). */
  node?: Partial<Tunables>
  /** The network's ID puzzle. Default: the transport's (`DEFAULT_ID_PUZZLE_BITS`). */
  idPuzzleBits?: number
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
  readonly node: KademliaNode
  readonly transport: WebRtcTransport
  readonly connections: ConnectionManager
  readonly store: FileRecordStore
  readonly #links: SignalingLink[]
  readonly #entry: Entry
  readonly #log: Logger
  readonly #timers: ReturnType<typeof setInterval>[] = []
  #stopped = false

  private constructor(parts: {
    node: KademliaNode
    transport: WebRtcTransport
    store: FileRecordStore
    links: SignalingLink[]
    entry: Entry
    connections: ConnectionManager
    log: Logger
  }) {
    this.node = parts.node
    this.transport = parts.transport
    this.store = parts.store
    this.#links = parts.links
    this.#entry = parts.entry
    this.connections = parts.connections
    this.#log = parts.log
  }

  get id(): string {
    return toHex(this.node.id)
  }

  /** Loads (or creates) the identity and records in `dataDir`, then enters the network. */
  static async start(config: PeerConfig): Promise<NodePeer> {
    const { identity, created, replacedWeak } = await loadOrCreateIdentity(config.dataDir, { puzzleBits: config.idPuzzleBits })
    const log = config.log.forPeer(identity.id)
    if (replacedWeak !== undefined) log.warn('identity-replaced', { reason: 'the stored ID does not solve the ID puzzle', movedTo: replacedWeak })
    const store = new FileRecordStore({ dir: join(config.dataDir, 'records'), sync: config.sync ?? true })
    const signalers = config.signals.map(() => new ClientSignaler())
    const transport = new WebRtcTransport({
      identity,
      signalers,
      peerFactory,
      iceServers: [],
      loopbackOnly: config.loopback,
      maxConnections: config.budget,
      ...(config.idPuzzleBits === undefined ? {} : { idPuzzleBits: config.idPuzzleBits }),
    })
    const node = createNode({ ...config.node, id: identity.id, transport, clock: systemClock(), random: cryptoRandom(), store, k: config.k })
    const connections = new ConnectionManager({ transport, table: node.table, clock: systemClock(), check: (id) => void node.ping(id) })
    const entry = new Entry({
      node,
      introduce: (ids, signaler) => transport.introduce(ids, signaler),
      joined: () => {
        log.info('joined', { contacts: node.table.size, connections: transport.stats().open })
        return node.replicateNow().catch(() => undefined)
      },
      failed: (peers) => log.warn('join-failed', { peers }),
    })
    const links = config.signals.map(
      (url, i) =>
        new SignalingLink({
          url,
          identity,
          signaler: signalers[i]!,
          retryMs: PEER_TIMINGS.signalingRetryMs,
          WebSocket: WebSocket as unknown as WebSocketConstructor,
          onPeers: (peers) => void entry.through(peers, signalers[i]!),
          onState: (state) => {
            if (state.kind === 'connected') log.info('signaling-connected', { url })
            else if (state.kind === 'unreachable') log.warn('signaling-unreachable', { url, reason: state.reason })
            else if (state.kind === 'replaced') log.error('signaling-replaced', { url })
          },
        }),
    )
    const peer = new NodePeer({ node, transport, store, links, entry, connections, log })
    await node.start()
    const report = store.lastLoad
    log.info('started', {
      identity: created ? 'created' : 'loaded',
      records: node.records.count,
      rejectedFiles: report?.rejected,
      data: config.dataDir,
    })
    peer.#wire()
    connections.start()
    for (const link of links) link.start()
    return peer
  }

  status(): PeerStatus {
    const stats = this.transport.stats()
    return {
      id: this.id,
      connections: stats.open,
      contacts: this.node.table.size,
      records: this.node.records.count,
      connectionsCreated: stats.connectionsCreated,
      relaysForwarded: stats.relaysForwarded,
    }
  }

  /**
   * Leaves cleanly: stops maintenance and the signaling links, says BYE on every connection (so
   * peers drop this node at once), and waits for the record store's writes to settle.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const timer of this.#timers) clearInterval(timer)
    for (const link of this.#links) link.stop()
    this.connections.stop()
    await this.node.stop()
    this.transport.close()
    await this.store.settled()
    await new Promise((resolve) => setTimeout(resolve, PEER_TIMINGS.byeWaitMs))
    this.#log.info('stopped')
  }

  #wire(): void {
    const log = this.#log
    this.transport.on('peer:disconnected', ({ id, reason }) => {
      // The peer itself is gone: drop it now rather than after requests to it time out.
      if (PEER_GONE.has(reason) && this.node.forget(id)) log.info('peer-gone', { peer: toHex(id).slice(0, 8), reason })
    })
    this.#timers.push(
      setInterval(() => void this.#entry.again(this.#links), PEER_TIMINGS.rejoinMs),
      setInterval(() => log.info('status', { ...this.status(), id: undefined }), PEER_TIMINGS.statusMs),
    )
    for (const timer of this.#timers) timer.unref()
  }
}
