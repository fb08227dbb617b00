import 'fake-indexeddb/auto'
import { keyOf, toHex } from '@browser-dht/kademlia'
import { createStore, keys, set } from 'idb-keyval'
import { describe, expect, it } from 'vitest'
import { STORE_NAME } from '../src/storage/database-name.ts'
import { IdbRecordStore } from '../src/storage/idb-record-store.ts'

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
})
