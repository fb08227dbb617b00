/**
 * The page's view of its DHT peer: `createPeer` from `@browser-dht/peer` does all the work
 * (identity, Web Lock, IndexedDB, WebRTC, signaling, orphan adoption); this shell turns the
 * peer's events into the page's log lines and remembers the names typed, to show names, not hashes.
 */
import { type Id, type KademliaNode, keyOf, toHex } from '@browser-dht/kademlia'
import { createPeer, type GetResult, type ImmutableGetResult, type Peer, type PutResult, type SignalingState } from '@browser-dht/peer'
import { DEFAULTS as TRANSPORT_DEFAULTS } from '@browser-dht/webrtc-transport'
import type { Settings } from '../settings.ts'

export interface TabNodeEvents {
  /** Something shown on the page changed. */
  changed: () => void
  /** A one-line log entry for the page's activity list. */
  log: (line: string) => void
}

export class TabNode {
  readonly peer: Peer
  /** Names the user typed, by key hex, so the page can show names instead of hashes. */
  readonly names = new Map<string, string>()

  private constructor(peer: Peer) {
    this.peer = peer
  }

  /** Starts this tab's peer with the page's settings, and wires its events to the page. */
  static async open(settings: Settings, events: TabNodeEvents): Promise<TabNode> {
    const puzzleBits = TRANSPORT_DEFAULTS.idPuzzleBits
    const started = performance.now()
    const peer = await createPeer({
      signal: settings.signals,
      loopbackOnly: settings.loopback,
      transport: { maxConnections: settings.budget },
      dht: {
        k: settings.k,
        alpha: settings.alpha,
        disjointPaths: settings.paths,
        replicateIntervalMs: settings.replicate * 1000,
        republishIntervalMs: settings.republish * 1000,
        refreshIntervalMs: settings.refresh * 1000,
      },
      onIdentityProgress: (tried) => {
        if (tried % 4096 === 0) events.log(`Creating this tab’s node ID: ${tried.toLocaleString('en')} key pairs tried (about ${(2 ** puzzleBits).toLocaleString('en')} needed on average)…`)
      },
    })
    const tab = new TabNode(peer)
    tab.#describe(settings, events, Math.round(performance.now() - started))
    tab.#wire(events)
    return tab
  }

  get identity(): Peer['identity'] {
    return this.peer.identity
  }

  get node(): KademliaNode {
    return this.peer.node
  }

  get transport(): Peer['transport'] {
    return this.peer.transport
  }

  get connections(): Peer['connections'] {
    return this.peer.connections
  }

  get joined(): boolean {
    return this.peer.joined
  }

  /** The best state of the signaling servers: connected if any server is. */
  get signalingState(): SignalingState {
    const states = this.peer.signaling.map(({ state }) => state)
    return states.find((s) => s.kind === 'connected') ?? states.find((s) => s.kind === 'connecting') ?? states.find((s) => s.kind === 'unreachable') ?? states[0]!
  }

  /** The page goes away (`pagehide`): close every connection at once, so peers drop this node now. */
  leave(): void {
    void this.peer.close()
  }

  put(name: string, value: Uint8Array): Promise<PutResult> {
    this.#remember(name)
    return this.peer.put(name, value)
  }

  remove(name: string): Promise<PutResult> {
    return this.peer.remove(name)
  }

  get(name: string): Promise<GetResult> {
    this.#remember(name)
    return this.peer.get(name)
  }

  putImmutable(value: Uint8Array): Promise<PutResult> {
    return this.peer.putImmutable(value)
  }

  getImmutable(key: Id): Promise<ImmutableGetResult> {
    return this.peer.getImmutable(key)
  }

  /** The name shown for a key: typed in this page, or put by name before a reload. */
  nameOf(key: Id): string | undefined {
    return this.names.get(toHex(key)) ?? this.peer.nameOf(key)
  }

  #remember(name: string): void {
    this.names.set(toHex(keyOf(name)), name)
  }

  #describe(settings: Settings, events: TabNodeEvents, ms: number): void {
    const { about } = this.peer
    if (about.replacedWeakIdentity) events.log(`This tab’s stored node ID did not solve the network’s ID puzzle (${TRANSPORT_DEFAULTS.idPuzzleBits} bits), so it was replaced by a new one.`)
    if (about.identity === 'created') events.log(`Found a node ID that solves the ID puzzle in ${ms} ms.`)
    const options = `k = ${settings.k}, α = ${settings.alpha}${settings.loopback ? ', loopback candidates only' : ''}`
    events.log(`${about.identity === 'restored' ? 'Restored' : 'Created'} this tab’s node ${this.peer.id.slice(0, 8)}… (${options}).`)
    if (!about.adoptsOrphans) events.log('Web Locks are unavailable (the page is not on https or localhost), so records of closed tabs are not adopted.')
    if (this.node.records.count > 0) events.log(`Loaded ${this.node.records.count} record(s) from IndexedDB.`)
  }

  #wire(events: TabNodeEvents): void {
    const { peer } = this
    const changed = (): void => events.changed()
    for (const name of ['peer:added', 'peer:removed', 'record:stored', 'peer:connected', 'connect:failed', 'joined'] as const) peer.on(name, changed)
    peer.on('joined', ({ contacts }) => events.log(`In the network: ${contacts} contact(s) in the routing table.`))
    peer.on('republished', ({ records }) => events.log(`Announced this tab's ${records} published record(s) again.`))
    peer.on('entry:failed', ({ peers }) => events.log(`None of the ${peers} peers the server named answered; trying again shortly.`))
    peer.on('warning', ({ message }) => events.log(`${message[0]!.toUpperCase()}${message.slice(1)}.`))
    peer.on('adopted', ({ records, databases }) => {
      events.log(`Adopted ${records} record(s) from ${databases} closed tab(s).`)
      changed()
    })
    peer.on('peer:disconnected', ({ id, reason, forgotten }) => {
      if (forgotten) events.log(`Peer ${toHex(id).slice(0, 8)}… is gone (${reason}); removed from the routing table.`)
      changed()
    })
    peer.on('signaling', ({ state }) => {
      changed()
      if (state.kind === 'replaced') events.log('Another tab took over this node ID at the signaling server.')
    })
  }
}
