/**
 * Records of closed tabs. A tab's database outlives the tab; its records matter to the DHT (this
 * node was among the k closest for them), so a live tab adopts them: for every node database
 * whose Web Lock is free, it hands each live record on to the k closest as a replica, unchanged,
 * with its proof and remaining TTL (never as its own publish: a stale orphan cannot overwrite a
 * newer value, since the holders keep the higher seq), and deletes from that database only what
 * was stored again; the database goes once nothing is left in it. While adopting it holds that
 * database's lock, so two tabs never adopt the same one, and a reloading owner waits instead of
 * reading a half-deleted database.
 *
 * A reload releases the lock for a moment. To leave a reloading tab's database alone, each tab
 * also writes a "last seen" time to localStorage every few seconds; a database is adopted only
 * when its lock is free AND its owner was last seen more than `graceMs` ago.
 */
import { decodeStoredSet, type Id, seqOf, type SignedRecord, slotOf, toHex } from '@browser-dht/kademlia'
import { nodeIdOfDatabase } from './database-name.ts'
import { IdbRecordStore } from './idb-record-store.ts'
import { locksAvailable, withLockIfFree } from './locks.ts'

const SEEN_PREFIX = 'browser-dht:seen:'

export interface AdoptOptions {
  /** This tab's database, never adopted. */
  ownDatabase: string
  /** Hands one adopted record on to the k closest for `ttlMs` more; true when a node stored it. */
  replicate: (key: Id, record: SignedRecord, ttlMs: number) => Promise<boolean>
  /** Largest value a record may carry (the node's `maxValueBytes`), for parsing what is read back. */
  maxValueBytes: number
  now: () => number
  /** A database whose owner was seen this recently is left alone (it may be reloading). */
  graceMs: number
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
}

export interface AdoptReport {
  databases: number
  records: number
  failed: number
}

/** Notes that the node `id` is alive now (see the module comment). */
export function markSeen(storage: Pick<Storage, 'setItem'>, id: Id, now: number): void {
  try {
    storage.setItem(SEEN_PREFIX + toHex(id), String(now))
  } catch {
    // Storage full or disabled: adoption then relies on the lock alone.
  }
}

function lastSeen(storage: Pick<Storage, 'getItem'>, hex: string): number {
  const seen = Number(storage.getItem(SEEN_PREFIX + hex) ?? '0')
  return Number.isFinite(seen) ? seen : 0
}

/** Adopts every orphaned node database it finds; see the module comment. */
export async function adoptOrphans(options: AdoptOptions): Promise<AdoptReport> {
  const report: AdoptReport = { databases: 0, records: 0, failed: 0 }
  if (!locksAvailable()) return report
  const databases = await indexedDB.databases()
  for (const { name } of databases) {
    const hex = nodeIdOfDatabase(name)
    if (hex === undefined || name === options.ownDatabase) continue
    if (options.now() - lastSeen(options.storage, hex) < options.graceMs) continue
    const adopted = await withLockIfFree(name!, () => adoptOne(name!, options))
    if (adopted === undefined) continue
    options.storage.removeItem(SEEN_PREFIX + hex)
    report.databases++
    report.records += adopted.records
    report.failed += adopted.failed
  }
  return report
}

async function adoptOne(name: string, options: AdoptOptions): Promise<{ records: number; failed: number }> {
  const store = new IdbRecordStore(name)
  let records = 0
  let failed = 0
  let left = 0
  // The same record is often both held and published by the closed tab: hand it on once.
  const done = new Map<string, Promise<boolean>>()
  const handOn = (key: Id, record: SignedRecord, ttlMs: number): Promise<boolean> => {
    const id = `${toHex(key)}/${slotOf(record)}/${seqOf(record)}`
    let outcome = done.get(id)
    if (outcome === undefined) {
      outcome = options
        .replicate(key, record, ttlMs)
        .catch(() => false)
        .then((ok) => {
          if (ok) records++
          else failed++
          return ok
        })
      done.set(id, outcome)
    }
    return outcome
  }
  try {
    const { held, published } = await store.contents()
    for (const [entry, remove] of [
      ...held.map((e) => [e, () => store.delete(e.key)] as const),
      ...published.map((e) => [e, () => store.deletePublished(e.key)] as const),
    ]) {
      let stored = true
      for (const { record, expiresAt } of decodeStoredSet(entry.value, options.maxValueBytes) ?? []) {
        const ttlMs = Math.floor(expiresAt - options.now())
        if (ttlMs > 0) stored = (await handOn(entry.key, record, ttlMs)) && stored
      }
      if (stored) await remove()
      else left++
    }
    await store.close()
  } catch {
    // A database of another shape (an older version): nothing to adopt, delete it all the same.
  }
  if (left === 0) await deleteDatabase(name)
  return { records, failed }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`))
  })
}
