import 'fake-indexeddb/auto'
import { encodeStoredSet, idEquals, keyOf, type SignedRecord, signNamed } from '@browser-dht/kademlia'
import { ed25519Signer } from '@browser-dht/kademlia/noble'
import { describe, expect, it } from 'vitest'
import { databaseNameOf } from '../src/browser/database-name.ts'
import { IdbRecordStore } from '../src/browser/idb-record-store.ts'
import { adoptOrphans } from '../src/browser/orphans.ts'

// Web Locks as a browser has them, every lock free (Node has none).
Object.defineProperty(globalThis, 'navigator', {
  value: { locks: { request: (_name: string, _options: unknown, work: (lock: object) => unknown) => Promise.resolve(work({})) } },
  configurable: true,
})

const NOW = 1_000_000
const signer = ed25519Signer(new Uint8Array(32).fill(3))
const storage = new Map<string, string>()
const local = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) }

async function orphan(id: number, records: { key: Uint8Array; record: SignedRecord; published?: boolean }[]): Promise<string> {
  const name = databaseNameOf(keyOf(`orphan ${id}`))
  const store = new IdbRecordStore(name)
  for (const { key, record, published } of records) {
    const value = encodeStoredSet([{ record, expiresAt: NOW + 60_000 }])
    if (published === true) await store.savePublished({ key, value, ttlMs: 60_000, expiresAt: NOW + 60_000, name: undefined })
    else await store.put({ key, value, expiresAt: NOW + 60_000 })
  }
  await store.close()
  return name
}

const databaseNames = async (): Promise<string[]> => (await indexedDB.databases()).map((db) => db.name!)

describe('adopting a closed tab’s records', () => {
  it('hands each record on unchanged, once, and deletes only what was stored again; the database goes once empty', async () => {
    const [a, b] = [keyOf('a'), keyOf('b')]
    const recordA = await signNamed(signer, a, 5, new TextEncoder().encode('A'))
    const recordB = await signNamed(signer, b, 7, new TextEncoder().encode('B'))
    // A is both held and published by the closed tab (the usual case for a tab's own value).
    const name = await orphan(1, [{ key: a, record: recordA }, { key: a, record: recordA, published: true }, { key: b, record: recordB }])
    const handedOn: { key: Uint8Array; record: SignedRecord; ttlMs: number }[] = []
    let bStores = false
    const options = {
      ownDatabase: 'mine',
      now: () => NOW,
      graceMs: 0,
      storage: local,
      maxValueBytes: 64 * 1024,
      replicate: async (key: Uint8Array, record: SignedRecord, ttlMs: number) => {
        handedOn.push({ key, record, ttlMs })
        return idEquals(key, a) || bStores
      },
    }
    const first = await adoptOrphans(options)
    expect(first).toEqual({ databases: 1, records: 1, failed: 1 })
    // Unchanged: the very records, signature and seq, with their remaining TTL; A handed on once.
    expect(handedOn.map((h) => h.record)).toEqual([recordA, recordB])
    expect(handedOn.every((h) => h.ttlMs === 60_000)).toBe(true)
    // B could not be stored: its entry stays, and so does the database; A's entries are gone.
    expect(await databaseNames()).toContain(name)
    const reader = new IdbRecordStore(name)
    const left = await reader.contents()
    await reader.close()
    expect(left.held.map((r) => r.key)).toEqual([b])
    expect(left.published).toEqual([])

    bStores = true
    const second = await adoptOrphans(options)
    expect(second.records).toBe(1)
    expect(await databaseNames()).not.toContain(name)
  })
})
