import 'fake-indexeddb/auto'
import { keyOf, toHex } from '@browser-dht/kademlia'
import { createStore, get, keys, set } from 'idb-keyval'
import { describe, expect, it } from 'vitest'
import { STORE_NAME } from '../src/browser/database-name.ts'
import { IdbRecordStore } from '../src/browser/idb-record-store.ts'

let databases = 0
const freshName = (): string => `test-db-${++databases}`
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('IdbRecordStore', () => {
  it('reads back what it stored, once put has resolved', async () => {
    const name = freshName()
    const store = new IdbRecordStore(name)
    const record = { key: keyOf('alice'), value: bytes('hello'), expiresAt: 123 }
    await store.put(record)
    expect(await new IdbRecordStore(name).get(record.key)).toEqual(record)
    expect(await new IdbRecordStore(name).all()).toEqual([record])
  })

  it('deletes records', async () => {
    const store = new IdbRecordStore(freshName())
    await store.put({ key: keyOf('a'), value: bytes('1'), expiresAt: 1 })
    await store.delete(keyOf('a'))
    expect(await store.all()).toEqual([])
    expect(await store.get(keyOf('a'))).toBeUndefined()
  })

  it('drops and deletes corrupted entries instead of handing them to the node', async () => {
    const name = freshName()
    const raw = createStore(name, STORE_NAME)
    const good = { key: keyOf('good'), value: bytes('ok'), expiresAt: 5 }
    await set(`r:${toHex(good.key)}`, good, raw)
    await set(`r:${toHex(keyOf('text'))}`, { key: keyOf('text'), value: 'not bytes', expiresAt: 5 }, raw)
    await set(`r:${toHex(keyOf('elsewhere'))}`, good, raw) // filed under another key
    await set('junk', 42, raw)
    const store = new IdbRecordStore(name)
    expect(await store.all()).toEqual([good])
    expect(await keys(raw)).toEqual([`r:${toHex(good.key)}`])
    expect(await store.get(keyOf('text'))).toBeUndefined()
  })

  it('keeps the records this node published apart from the ones it holds', async () => {
    const store = new IdbRecordStore(freshName())
    const entry = { key: keyOf('mine'), value: bytes('v'), ttlMs: 60_000, expiresAt: 99, name: 'mine' }
    await store.savePublished(entry)
    await store.put({ key: entry.key, value: entry.value, expiresAt: 99 })
    expect(await store.published()).toEqual([entry])
    expect(await store.all()).toHaveLength(1)
    await store.deletePublished(entry.key)
    expect(await store.published()).toEqual([])
  })

  it('closes its connection so the database can be deleted', async () => {
    const name = freshName()
    const store = new IdbRecordStore(name)
    await store.put({ key: keyOf('x'), value: bytes('x'), expiresAt: 1 })
    await store.close()
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name)
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
      request.onblocked = () => reject(new Error('blocked: a connection is still open'))
    })
  })

  describe('in-memory mirror', () => {
    it('answers get from memory once all() has loaded, and from IndexedDB before', async () => {
      const name = freshName()
      const raw = createStore(name, STORE_NAME)
      const store = new IdbRecordStore(name)
      const record = { key: keyOf('k'), value: bytes('v1'), expiresAt: 7 }
      await store.put(record)
      expect(store.mirrored).toBeUndefined()
      // Not loaded yet: get reads IndexedDB, so a change made behind its back shows.
      const changed = { ...record, value: bytes('changed in IndexedDB') }
      await set(`r:${toHex(record.key)}`, changed, raw)
      expect(await store.get(record.key)).toEqual(changed)
      expect(await store.all()).toEqual([changed])
      expect(store.mirrored).toBe(1)
      // Loaded: get answers from the mirror and no longer reads IndexedDB.
      await set(`r:${toHex(record.key)}`, record, raw)
      expect(await store.get(record.key)).toEqual(changed)
      expect(await store.get(keyOf('absent'))).toBeUndefined()
      const next = { key: keyOf('k2'), value: bytes('v2'), expiresAt: 8 }
      await store.put(next)
      expect(await store.get(next.key)).toEqual(next)
      expect(await get(`r:${toHex(next.key)}`, raw)).toEqual(next) // written through
      expect(store.mirrored).toBe(2)
    })

    it('keeps a put that IndexedDB rejects out of the mirror', async () => {
      const name = freshName()
      const store = new IdbRecordStore(name)
      await store.all()
      const good = { key: keyOf('good'), value: bytes('ok'), expiresAt: 1 }
      await store.put(good)
      // A function cannot be structured-cloned: IndexedDB refuses the write (DataCloneError).
      const bad = { key: keyOf('bad'), value: (() => 0) as unknown as Uint8Array, expiresAt: 1 }
      await expect(store.put(bad)).rejects.toThrow()
      expect(await store.get(bad.key)).toBeUndefined()
      const overwrite = { ...good, value: (() => 0) as unknown as Uint8Array }
      await expect(store.put(overwrite)).rejects.toThrow()
      expect(await store.get(good.key)).toEqual(good)
      expect(store.mirrored).toBe(1)
      expect(await new IdbRecordStore(name).all()).toEqual([good]) // IndexedDB agrees
    })

    it('removes a deleted record from the mirror once IndexedDB has deleted it', async () => {
      const name = freshName()
      const store = new IdbRecordStore(name)
      const record = { key: keyOf('gone'), value: bytes('x'), expiresAt: 1 }
      await store.put(record)
      await store.all()
      expect(await store.get(record.key)).toEqual(record)
      await store.delete(record.key)
      expect(await store.get(record.key)).toBeUndefined()
      expect(store.mirrored).toBe(0)
      expect(await new IdbRecordStore(name).all()).toEqual([])
    })

    it('loads records another instance wrote to the same database before all()', async () => {
      const name = freshName()
      const writer = new IdbRecordStore(name)
      const records = ['a', 'b', 'c'].map((k, i) => ({ key: keyOf(k), value: bytes(k), expiresAt: i }))
      for (const record of records) await writer.put(record)
      await writer.close()
      const reader = new IdbRecordStore(name)
      const loaded = await reader.all()
      expect(loaded).toHaveLength(3)
      expect(loaded).toEqual(expect.arrayContaining(records))
      for (const record of records) expect(await reader.get(record.key)).toEqual(record)
    })

    it('keeps writes that commit while all() is reading', async () => {
      const name = freshName()
      const store = new IdbRecordStore(name)
      const old = { key: keyOf('old'), value: bytes('o'), expiresAt: 1 }
      await store.put(old)
      const fresh = { key: keyOf('fresh'), value: bytes('f'), expiresAt: 2 }
      const [loaded] = await Promise.all([store.all(), store.put(fresh), store.delete(old.key)])
      expect(loaded.length).toBeLessThanOrEqual(2)
      expect(await store.get(fresh.key)).toEqual(fresh)
      expect(await store.get(old.key)).toBeUndefined()
      expect(store.mirrored).toBe(1)
    })
  })
})
