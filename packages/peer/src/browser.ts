/**
 * `createPeer` in a browser tab: the identity in sessionStorage (a reload keeps the node ID), the
 * records in IndexedDB under a Web Lock (so another tab can tell a live node's database from a
 * closed tab's), the browser's own WebRTC, and adoption of closed tabs' records. Everything can
 * be passed instead (see `PeerOptions`).
 */
import { type Clock, cryptoRandom, DEFAULT_ID_PUZZLE_BITS, systemClock } from '@browser-dht/kademlia'
import { browserPeerFactory } from '@browser-dht/webrtc-transport/browser'
import { databaseNameOf } from './browser/database-name.ts'
import { IdbRecordStore } from './browser/idb-record-store.ts'
import { holdLock, locksAvailable } from './browser/locks.ts'
import { adoptOrphans, markSeen } from './browser/orphans.ts'
import { loadIdentity, newIdentity } from './browser/session-identity.ts'
import { PeerError, PeerErrorCode } from './errors.ts'
import { checkPeerOptions, type PeerOptions } from './options.ts'
import { type Lifecycle, Peer } from './peer.ts'

export * from './index.ts'

export interface BrowserPeerOptions extends PeerOptions {
  /** Where the secret key is kept. Default `sessionStorage`: per tab, and it survives a reload. */
  keyStorage?: Pick<Storage, 'getItem' | 'setItem'>
  /** Adopt the records of closed tabs' databases (needs Web Locks). Default true. */
  adoptOrphans?: boolean
  /** Called while a new identity is searched for, with the key pairs tried so far. */
  onIdentityProgress?: (tried: number) => void
}

/**
 * The system clock read with sub-millisecond resolution, for the transport: its heartbeat round
 * trips are often below a millisecond.
 */
function preciseClock(): Clock {
  return { ...systemClock(), now: () => performance.timeOrigin + performance.now() }
}

/** Starts a DHT peer in this tab. */
export async function createPeer(options: BrowserPeerOptions): Promise<Peer> {
  checkPeerOptions(options)
  const puzzleBits = options.idPuzzleBits ?? DEFAULT_ID_PUZZLE_BITS
  const keyStorage = options.keyStorage ?? sessionStorage
  const identityOptions = { puzzleBits, ...(options.onIdentityProgress === undefined ? {} : { onProgress: options.onIdentityProgress }) }
  let identity = options.identity
  let origin: 'given' | 'restored' | 'created' = 'given'
  let replacedWeak = false
  if (identity === undefined) {
    const loaded = await loadIdentity(keyStorage, identityOptions)
    identity = loaded.identity
    origin = loaded.restored ? 'restored' : 'created'
    replacedWeak = loaded.replacedWeak
  }
  let release = await holdLock(databaseNameOf(identity.id))
  if (release === undefined && options.identity === undefined) {
    // Another live tab holds this ID (a duplicated tab copies sessionStorage): be a new node.
    identity = await newIdentity(keyStorage, identityOptions)
    origin = 'created'
    release = await holdLock(databaseNameOf(identity.id))
  }
  if (release === undefined) throw new PeerError(PeerErrorCode.LOCKED, 'another tab runs a node with this identity')
  const databaseName = databaseNameOf(identity.id)
  const store = options.store ?? new IdbRecordStore(databaseName)
  const unlock = release
  const adopt = options.adoptOrphans ?? true
  try {
    return await Peer.start({
      ...options,
      identity,
      store,
      peerFactory: options.peerFactory ?? browserPeerFactory,
      clock: options.clock ?? systemClock(),
      preciseClock: options.clock ?? preciseClock(),
      random: options.random ?? cryptoRandom(),
      about: { identity: origin, replacedWeakIdentity: replacedWeak, storage: `IndexedDB ${databaseName}`, adoptsOrphans: adopt && locksAvailable() },
      setup: (peer, life) => {
        life.onClose(unlock)
        markSeen(localStorage, peer.identity.id, Date.now())
        life.every(peer.timings.seenMs, () => markSeen(localStorage, peer.identity.id, Date.now()))
        if (adopt && locksAvailable()) adoptAfterJoining(peer, life, databaseName)
      },
    })
  } catch (error) {
    if (options.store === undefined) await store.close?.()
    unlock()
    throw error
  }
}

/** Once joined, and every `orphanScanMs` after: hands closed tabs' records on to their holders. */
function adoptAfterJoining(peer: Peer, life: Lifecycle, ownDatabase: string): void {
  let adopting = false
  const adopt = async (): Promise<void> => {
    if (adopting || peer.closed) return
    adopting = true
    try {
      const report = await adoptOrphans({
        ownDatabase,
        now: () => Date.now(),
        graceMs: peer.timings.orphanGraceMs,
        storage: localStorage,
        maxValueBytes: peer.node.options.maxValueBytes,
        // Adopted records travel as replicas with their proof and remaining lifetime: this node
        // does not become their publisher, and a holder with a newer seq keeps it.
        replicate: async (key, record, ttlMs) => (await peer.node.replicateRecord(key, record, ttlMs)).length > 0,
      })
      if (report.databases > 0) life.emit('adopted', { records: report.records, databases: report.databases })
    } catch {
      // indexedDB.databases() or Web Locks unavailable: nothing to adopt.
    } finally {
      adopting = false
    }
  }
  const stop = peer.on('joined', () => {
    stop()
    void adopt()
    life.every(peer.timings.orphanScanMs, () => void adopt())
  })
}
