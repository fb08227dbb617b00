/**
 * One browser tab as one DHT node: identity (sessionStorage), Web Lock, IndexedDB store, WebRTC
 * transport with its connection manager, one signaling link per server, Kademlia node, and what
 * happens once it has joined (republish its own records, replicate what it holds, adopt closed
 * tabs' records). The servers only introduce the tab to its first peers: every later connection
 * is signaled through the overlay.
 */
import {
  checkRecord,
  type Clock,
  createNode,
  cryptoRandom,
  decodeStoredSet,
  encodeStoredSet,
  type GetResult,
  type Id,
  type ImmutableGetResult,
  type KademliaNode,
  keyOf,
  type Published,
  type PutResult,
  systemClock,
  toHex as keyHex,
} from '@browser-dht/kademlia'
import { browserPeerFactory, ConnectionManager, PEER_GONE, DEFAULTS as TRANSPORT_DEFAULTS, WebRtcTransport } from '@browser-dht/webrtc-transport/browser'
import { ClientSignaler, Entry, type Identity, SignalingLink, type SignalingState } from '@browser-dht/signaling-server/client'
import { loadIdentity, newIdentity } from '../identity/session-identity.ts'
import type { Settings } from '../settings.ts'
import { databaseNameOf } from '../storage/database-name.ts'
import { IdbRecordStore } from '../storage/idb-record-store.ts'
import { holdLockForever, locksAvailable } from '../storage/locks.ts'
import { adoptOrphans, type AdoptReport, markSeen } from '../storage/orphans.ts'
import type { PublishedEntry } from '../storage/stored-record.ts'

/** Every timing of the tab's own housekeeping, in one place. */
export const TAB_TIMINGS = {
  /** Retry an unreachable signaling server this often. */
  signalingRetryMs: 3000,
  /** With fewer than k contacts in the routing table, ask the server for peers again this often. */
  rejoinMs: 5000,
  /** Write this tab's "last seen" time this often (orphan detection). */
  seenMs: 5000,
  /** A database whose owner was seen this recently is not adopted (it may be reloading). */
  orphanGraceMs: 20_000,
  /** Look for orphaned databases this often. */
  orphanScanMs: 60_000,
  /** After the first contact arrives unasked (first tab), wait this long before republishing. */
  settleMs: 1000,
} as const

/**
 * The system clock read with sub-millisecond resolution, for the transport: its heartbeat round
 * trips (shown per peer, and used by the browser benchmark) are often below a millisecond.
 */
function preciseClock(): Clock {
  return { ...systemClock(), now: () => performance.timeOrigin + performance.now() }
}

export interface TabNodeEvents {
  /** Something shown on the page changed. */
  changed: () => void
  /** A one-line log entry for the page's activity list. */
  log: (line: string) => void
}

export class TabNode {
  readonly identity: Identity
  readonly databaseName: string
  readonly node: KademliaNode
  readonly transport: WebRtcTransport
  readonly store: IdbRecordStore
  readonly connections: ConnectionManager
  readonly restoredIdentity: boolean
  /** Names the user typed, by key hex, so the page can show names instead of hashes. */
  readonly names = new Map<string, string>()
  readonly #links: SignalingLink[]
  readonly #entry: Entry
  readonly #events: TabNodeEvents
  #joined = false
  #adopting = false
  /** This tab's published entries as stored, by key hex (for their names and adoption). */
  #published = new Map<string, PublishedEntry>()

  private constructor(init: {
    identity: Identity
    restored: boolean
    settings: Settings
    events: TabNodeEvents
  }) {
    const { identity, settings, events } = init
    this.identity = identity
    this.restoredIdentity = init.restored
    this.#events = events
    this.databaseName = databaseNameOf(identity.id)
    this.store = new IdbRecordStore(this.databaseName)
    const signalers = settings.signals.map(() => new ClientSignaler())
    this.transport = new WebRtcTransport({
      identity,
      signalers,
      peerFactory: browserPeerFactory,
      loopbackOnly: settings.loopback,
      iceServers: [],
      maxConnections: settings.budget,
      clock: preciseClock(),
    })
    this.node = createNode({
      id: identity.id,
      transport: this.transport,
      clock: systemClock(),
      random: cryptoRandom(),
      store: this.store,
      k: settings.k,
      alpha: settings.alpha,
      disjointPaths: settings.paths,
      replicateIntervalMs: settings.replicate * 1000,
      republishIntervalMs: settings.republish * 1000,
      refreshIntervalMs: settings.refresh * 1000,
    })
    this.connections = new ConnectionManager({
      transport: this.transport,
      table: this.node.table,
      clock: systemClock(),
      check: (id) => void this.node.ping(id),
    })
    this.#entry = new Entry({
      node: this.node,
      introduce: (ids, signaler) => this.transport.introduce(ids, signaler),
      joined: () => this.#joinedNetwork(),
      failed: (count) => this.#events.log(`None of the ${count} peers the server named answered; trying again shortly.`),
    })
    this.#links = settings.signals.map(
      (url, i) =>
        new SignalingLink({
          url,
          identity,
          signaler: signalers[i]!,
          retryMs: TAB_TIMINGS.signalingRetryMs,
          onPeers: (peers) => void this.#entry.through(peers, signalers[i]!),
          onState: (state) => this.#signalingState(state),
        }),
    )
  }

  /** Opens the tab's node: identity, lock, stored records, then connects to the network. */
  static async open(settings: Settings, events: TabNodeEvents): Promise<TabNode> {
    const puzzleBits = TRANSPORT_DEFAULTS.idPuzzleBits
    const started = performance.now()
    const options = {
      puzzleBits,
      onProgress: (tried: number) => {
        if (tried % 4096 === 0) events.log(`Creating this tab’s node ID: ${tried.toLocaleString('en')} key pairs tried (about ${(2 ** puzzleBits).toLocaleString('en')} needed on average)…`)
      },
    }
    const loaded = await loadIdentity(sessionStorage, options)
    let { identity, restored } = loaded
    const { replacedWeak } = loaded
    if (replacedWeak) events.log(`This tab’s stored node ID did not solve the network’s ID puzzle (${puzzleBits} bits), so it was replaced by a new one.`)
    if (!(await holdLockForever(databaseNameOf(identity.id)))) {
      // Another live tab holds this ID (a duplicated tab copies sessionStorage): be a new node.
      identity = await newIdentity(sessionStorage, options)
      restored = false
      if (!(await holdLockForever(databaseNameOf(identity.id)))) throw new Error('could not lock a fresh node database')
    }
    if (!restored) events.log(`Found a node ID that solves the ID puzzle in ${Math.round(performance.now() - started)} ms.`)
    const tab = new TabNode({ identity, restored, settings, events })
    await tab.#start(settings)
    return tab
  }

  /**
   * Closes every peer connection at once, so peers see the data channels close (and drop this
   * node) instead of noticing the silence a heartbeat timeout later. Called when the page goes
   * away (`pagehide`: tab closed, reloaded or navigated).
   */
  leave(): void {
    this.connections.stop()
    this.transport.close()
  }

  /** The state of every signaling server, in the order of the settings. */
  get signalingStates(): SignalingState[] {
    return this.#links.map((link) => link.state)
  }

  /** The best of them: connected if any server is. */
  get signalingState(): SignalingState {
    const states = this.signalingStates
    return states.find((s) => s.kind === 'connected') ?? states.find((s) => s.kind === 'connecting') ?? states.find((s) => s.kind === 'unreachable') ?? states[0]!
  }

  get joined(): boolean {
    return this.#joined
  }

  /**
   * Publishes `value` under the name's key as this tab's own value (signed with its identity: only
   * this tab can change or remove it), and keeps the signed record to republish after a reload.
   */
  async put(name: string, value: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const key = keyOf(name)
    this.names.set(keyHex(key), name)
    const ttlMs = this.node.options.recordTtlMs
    const result = await this.node.put(key, value, { ttlMs, ...options })
    await this.#savePublished({ key, record: result.record, ttlMs }, name)
    this.#events.changed()
    return result
  }

  /** Removes this tab's own value under the name (a signed tombstone); others' values stay. */
  async remove(name: string, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const key = keyOf(name)
    const result = await this.node.remove(key, options)
    this.#published.delete(keyHex(key))
    await this.store.deletePublished(key)
    this.#events.changed()
    return result
  }

  /** Every publisher's value under the name, newest first, each checked against its signature. */
  get(name: string, options: { signal?: AbortSignal } = {}): Promise<GetResult> {
    const key = keyOf(name)
    this.names.set(keyHex(key), name)
    return this.node.get(key, options)
  }

  /** Stores `value` as a BEP 44 immutable item, under the hash of its content (the result's `key`). */
  async putImmutable(value: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const result = await this.node.putImmutable(value, { ttlMs: this.node.options.recordTtlMs, ...options })
    await this.#savePublished({ key: result.key, record: result.record, ttlMs: this.node.options.recordTtlMs }, undefined)
    this.#events.changed()
    return result
  }

  /** The immutable item under `key` (checked against it). */
  getImmutable(key: Id, options: { signal?: AbortSignal } = {}): Promise<ImmutableGetResult> {
    return this.node.getImmutable(key, options)
  }

  async #savePublished(published: Published, name: string | undefined): Promise<void> {
    const expiresAt = Date.now() + published.ttlMs
    const entry: PublishedEntry = { key: published.key, value: encodeStoredSet([{ record: published.record, expiresAt }]), ttlMs: published.ttlMs, expiresAt, name }
    this.#published.set(keyHex(published.key), entry)
    await this.store.savePublished(entry)
  }

  /** This tab's published records read back from IndexedDB: each checked as a holder would, then republished as it is. */
  async #loadPublished(): Promise<void> {
    const { maxValueBytes, idPuzzleBits } = this.node.options
    for (const entry of await this.store.published()) {
      const [stored] = decodeStoredSet(entry.value, maxValueBytes) ?? []
      const proven = stored !== undefined && (await checkRecord(entry.key, stored.record, { verify: this.transport.verify, maxValueBytes, puzzleBits: idPuzzleBits })).ok
      if (!proven) {
        this.#events.log(`A published record read back from IndexedDB does not prove itself; it was dropped.`)
        await this.store.deletePublished(entry.key)
        continue
      }
      this.node.adoptPublished({ key: entry.key, record: stored.record, ttlMs: entry.ttlMs })
      this.#published.set(keyHex(entry.key), entry)
      if (entry.name !== undefined) this.names.set(keyHex(entry.key), entry.name)
    }
  }

  async #start(settings: Settings): Promise<void> {
    const options = `k = ${settings.k}, α = ${settings.alpha}${settings.loopback ? ', loopback candidates only' : ''}`
    this.#events.log(`${this.restoredIdentity ? 'Restored' : 'Created'} this tab’s node ${keyHex(this.identity.id).slice(0, 8)}… (${options}).`)
    if (!locksAvailable()) {
      this.#events.log('Web Locks are unavailable (the page is not on https or localhost), so records of closed tabs are not adopted.')
    }
    await this.node.start()
    if (this.node.records.count > 0) this.#events.log(`Loaded ${this.node.records.count} record(s) from IndexedDB.`)
    await this.#loadPublished()
    const changed = (): void => this.#events.changed()
    this.node.on('peer:added', () => {
      changed()
      if (!this.#joined && !this.#entry.joining) setTimeout(() => void this.#joinedNetwork(), TAB_TIMINGS.settleMs)
    })
    this.node.on('peer:removed', changed)
    this.node.on('record:stored', changed)
    this.transport.on('peer:connected', changed)
    this.transport.on('peer:disconnected', ({ id, reason }) => {
      // A channel that closed under us (tab closed, crashed, went silent) means the peer is gone:
      // drop it from the routing table now rather than after requests to it time out. Connections
      // closed for housekeeping (budget eviction, glare, a redial replacing it) say nothing of it.
      if (PEER_GONE.has(reason) && this.node.forget(id)) {
        this.#events.log(`Peer ${keyHex(id).slice(0, 8)}… is gone (${reason}); removed from the routing table.`)
      }
      changed()
    })
    this.transport.on('connect:failed', changed)
    markSeen(localStorage, this.identity.id, Date.now())
    setInterval(() => markSeen(localStorage, this.identity.id, Date.now()), TAB_TIMINGS.seenMs)
    setInterval(() => void this.#entry.again(this.#links), TAB_TIMINGS.rejoinMs)
    this.connections.start()
    for (const link of this.#links) link.start()
  }

  /** Once per page life, after the first contacts: republish, replicate, adopt orphans. */
  async #joinedNetwork(): Promise<void> {
    if (this.#joined || this.node.table.size === 0) return
    this.#joined = true
    this.#events.log(`In the network: ${this.node.table.size} contact(s) in the routing table.`)
    this.#events.changed()
    let republished = 0
    for (const published of this.node.published()) {
      const ok = await this.node.republish(published).then(() => true, () => false)
      if (!ok) continue
      republished++
      await this.#savePublished(published, this.#published.get(keyHex(published.key))?.name)
    }
    if (republished > 0) this.#events.log(`Announced this tab's ${republished} published record(s) again.`)
    await this.node.replicateNow().catch(() => undefined)
    await this.#adopt()
    setInterval(() => void this.#adopt(), TAB_TIMINGS.orphanScanMs)
  }

  async #adopt(): Promise<void> {
    if (this.#adopting) return
    this.#adopting = true
    let report: AdoptReport
    try {
      report = await adoptOrphans({
        ownDatabase: this.databaseName,
        now: () => Date.now(),
        graceMs: TAB_TIMINGS.orphanGraceMs,
        storage: localStorage,
        maxValueBytes: this.node.options.maxValueBytes,
        // Adopted records travel as replicas with their proof and remaining lifetime: this tab
        // does not become their publisher, and a holder with a newer seq keeps it.
        replicate: async (key, record, ttlMs) => (await this.node.replicateRecord(key, record, ttlMs)).length > 0,
      })
    } catch {
      return // indexedDB.databases() or Web Locks unavailable: nothing to adopt
    } finally {
      this.#adopting = false
    }
    if (report.databases > 0) {
      this.#events.log(`Adopted ${report.records} record(s) from ${report.databases} closed tab(s).`)
      this.#events.changed()
    }
  }

  #signalingState(state: SignalingState): void {
    this.#events.changed()
    if (state.kind === 'replaced') this.#events.log('Another tab took over this node ID at the signaling server.')
  }
}
