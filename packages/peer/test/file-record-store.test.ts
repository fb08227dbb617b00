import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULTS, ID_BYTES, keyOf, type StoredRecord } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FileRecordStore, MAX_REPORTED_REJECTIONS, TEMP_PREFIX } from '../src/node/file-record-store.ts'
import { DirectoryStore } from '../src/node/directory-store.ts'
import { DEFAULT_RECORD_FILE_LIMITS, encodeStoredFile, RECORD_FILE_OVERHEAD_BYTES, RecordFileErrorCode, recordFileLimits, recordFileName, RecordFileWriteError } from '../src/node/record-file.ts'
import { plausible, useTempDirs } from './helpers.ts'

const temp = useTempDirs()
const NOW = 1_700_000_000_000
const LATER = NOW + 60_000

function record(name: string, text = name, expiresAt = LATER): StoredRecord {
  return { key: keyOf(name), value: new TextEncoder().encode(text), expiresAt }
}

async function storeIn(dir?: string, options: { maxValueBytes?: number; sync?: boolean } = {}) {
  const recordsDir = dir ?? join(await temp.make(), 'records')
  const store = new FileRecordStore({
    dir: recordsDir,
    now: () => NOW,
    sync: options.sync ?? true,
    ...(options.maxValueBytes === undefined ? {} : { limits: { maxValueBytes: options.maxValueBytes } }),
  })
  return { store, dir: recordsDir }
}

const byKey = (records: StoredRecord[]) => [...records].sort((a, b) => Buffer.compare(a.key, b.key))

describe('FileRecordStore', () => {
  it('keeps records across a restart: a new instance on the same directory reads them all back', async () => {
    const { store, dir } = await storeIn()
    const alice = record('alice')
    const bob = record('bob', 'x'.repeat(1000))
    await store.put(alice)
    await store.put(bob)
    await store.delete(keyOf('nobody'))

    const restarted = new FileRecordStore({ dir, now: () => NOW })
    expect(byKey(await restarted.all())).toEqual(byKey([alice, bob]))
    expect(await restarted.get(alice.key)).toEqual(alice)
    expect(restarted.lastLoad).toMatchObject({ loaded: 2, rejected: 0, expired: 0, ignored: 0, leftoverTemps: 0 })
  })

  it('creates its directory when missing and starts empty', async () => {
    const { store, dir } = await storeIn(join(await temp.make(), 'a', 'b', 'records'))
    expect(await store.all()).toEqual([])
    expect((await stat(dir)).isDirectory()).toBe(true)
    expect(store.rejected).toBe(0)
  })

  it('answers get from the disk before all() and from its mirror after', async () => {
    const { store, dir } = await storeIn()
    const alice = record('alice')
    await store.put(alice)
    const other = new FileRecordStore({ dir, now: () => NOW })
    expect(await other.get(alice.key)).toEqual(alice)
    expect(other.mirrored).toBeUndefined()
    await other.all()
    expect(other.mirrored).toBe(1)
    await writeFile(join(dir, recordFileName(alice.key)), 'changed behind its back')
    expect(await other.get(alice.key)).toEqual(alice)
  })

  it('replaces a record on put and forgets it on delete, on disk and in the mirror', async () => {
    const { store, dir } = await storeIn()
    await store.all()
    await store.put(record('alice', 'one'))
    await store.put(record('alice', 'two'))
    expect(await store.get(keyOf('alice'))).toEqual(record('alice', 'two'))
    await store.delete(keyOf('alice'))
    expect(await store.get(keyOf('alice'))).toBeUndefined()
    expect(await readdir(dir)).toEqual([])
  })

  it('applies concurrent writes to one key in call order', async () => {
    const { store, dir } = await storeIn(undefined, { sync: false })
    await store.all()
    const writes = Array.from({ length: 20 }, (_, i) => store.put(record('alice', `v${i}`)))
    writes.push(store.delete(keyOf('alice')), store.put(record('alice', 'last')))
    await Promise.all(writes)
    await store.settled()
    expect(await store.get(keyOf('alice'))).toEqual(record('alice', 'last'))
    expect(await new FileRecordStore({ dir, now: () => NOW }).all()).toEqual([record('alice', 'last')])
    expect(await readdir(dir)).toEqual([recordFileName(keyOf('alice'))])
  })

  it('keeps a copy, so changing the caller’s arrays later changes nothing', async () => {
    const { store } = await storeIn()
    await store.all()
    const alice = record('alice')
    await store.put(alice)
    alice.value[0] = 0
    expect(await store.get(keyOf('alice'))).toEqual(record('alice'))
  })

  it('refuses to write a record it could not read back, and leaves no file', async () => {
    const { store, dir } = await storeIn(undefined, { maxValueBytes: 10 })
    await expect(store.put(record('alice', 'more than ten bytes'))).rejects.toThrow(RecordFileWriteError)
    await expect(store.put({ ...record('alice'), key: new Uint8Array(ID_BYTES - 1) })).rejects.toThrow(RecordFileWriteError)
    expect(await store.all()).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('ignores and removes a temp file left by an interrupted write', async () => {
    const { store, dir } = await storeIn()
    await store.put(record('alice', 'old'))
    const name = recordFileName(keyOf('alice'))
    await writeFile(join(dir, `${TEMP_PREFIX}${name}.deadbeef`), encodeStoredFile(record('alice', 'half-writt')).subarray(0, 30))

    const restarted = new FileRecordStore({ dir, now: () => NOW })
    expect(await restarted.all()).toEqual([record('alice', 'old')])
    expect(restarted.lastLoad).toMatchObject({ loaded: 1, leftoverTemps: 1, rejected: 0 })
    expect(await readdir(dir)).toEqual([name])
  })

  it('skips and counts corrupt, truncated, oversized and misfiled files, leaving them in place', async () => {
    const { store, dir } = await storeIn(undefined, { maxValueBytes: 100 })
    await store.put(record('good'))
    const file = (name: string) => join(dir, recordFileName(keyOf(name)))
    const valid = encodeStoredFile(record('bad'))
    await writeFile(file('truncated'), encodeStoredFile(record('truncated')).subarray(0, 40))
    await writeFile(file('garbage'), 'not a record at all, just some text')
    await writeFile(file('oversized'), new Uint8Array(RECORD_FILE_OVERHEAD_BYTES + 101))
    await writeFile(file('misfiled'), valid)
    await writeFile(file('flipped'), Uint8Array.from(encodeStoredFile(record('flipped')), (b, i) => (i === 40 ? b ^ 0xff : b)))
    await mkdir(file('a directory'))
    await symlink(file('good'), file('a symlink'))

    const restarted = new FileRecordStore({ dir, now: () => NOW, limits: { maxValueBytes: 100 } })
    expect(await restarted.all()).toEqual([record('good')])
    const report = restarted.lastLoad!
    expect(restarted.rejected).toBe(7)
    expect(report.rejectedByCode).toEqual({
      [RecordFileErrorCode.TRUNCATED]: 1,
      [RecordFileErrorCode.BAD_MAGIC]: 1,
      [RecordFileErrorCode.TOO_LARGE]: 1,
      [RecordFileErrorCode.KEY_MISMATCH]: 1,
      [RecordFileErrorCode.BAD_CHECKSUM]: 1,
      [RecordFileErrorCode.UNREADABLE]: 2,
    })
    expect(report.rejections.map((r) => r.name).sort()).toEqual(
      ['truncated', 'garbage', 'oversized', 'misfiled', 'flipped', 'a directory', 'a symlink'].map((n) => recordFileName(keyOf(n))).sort(),
    )
    expect((await readdir(dir)).length).toBe(8)
  })

  it('does not read files with other names, and counts them as ignored', async () => {
    const { store, dir } = await storeIn()
    await store.put(record('alice'))
    await writeFile(join(dir, 'README.txt'), 'hello')
    await writeFile(join(dir, recordFileName(keyOf('bob')).toUpperCase()), encodeStoredFile(record('bob')))
    await mkdir(join(dir, 'subdir'))
    const restarted = new FileRecordStore({ dir, now: () => NOW })
    expect(await restarted.all()).toEqual([record('alice')])
    expect(restarted.lastLoad).toMatchObject({ loaded: 1, ignored: 3, rejected: 0 })
  })

  it('lists a bounded number of rejected files by name but counts them all', async () => {
    const { dir } = await storeIn()
    await mkdir(dir, { recursive: true })
    const count = MAX_REPORTED_REJECTIONS + 5
    await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(dir, recordFileName(keyOf(`junk ${i}`))), 'junk')))
    const store = new FileRecordStore({ dir, now: () => NOW })
    expect(await store.all()).toEqual([])
    expect(store.rejected).toBe(count)
    expect(store.lastLoad!.rejections).toHaveLength(MAX_REPORTED_REJECTIONS)
  })

  it('deletes expired records on load', async () => {
    const { store, dir } = await storeIn()
    await store.put(record('expired', 'x', NOW))
    await store.put(record('live'))
    const restarted = new FileRecordStore({ dir, now: () => NOW })
    expect(await restarted.all()).toEqual([record('live')])
    expect(restarted.lastLoad).toMatchObject({ loaded: 1, expired: 1 })
    expect(await readdir(dir)).toEqual([recordFileName(keyOf('live'))])
  })

  it('keeps writes that finish while all() is reading', async () => {
    const { store, dir } = await storeIn(undefined, { sync: false })
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(record(`r${i}`))))
    const restarted = new FileRecordStore({ dir, now: () => NOW, sync: false })
    const loading = restarted.all()
    const writes = [restarted.put(record('new')), restarted.delete(keyOf('r0')), restarted.put(record('r1', 'changed'))]
    await Promise.all([loading, ...writes])
    expect(await restarted.get(keyOf('new'))).toEqual(record('new'))
    expect(await restarted.get(keyOf('r0'))).toBeUndefined()
    expect(await restarted.get(keyOf('r1'))).toEqual(record('r1', 'changed'))
    expect(restarted.mirrored).toBe(50)
  })

  it('never throws on random bytes in a record file, and never loads a record with the wrong key or sizes', async () => {
    const { dir } = await storeIn()
    await mkdir(dir, { recursive: true })
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ maxLength: 300 }), fc.nat(2), async (key, tail, shape) => {
        const bytes = plausible(key, tail, shape)
        const name = recordFileName(key)
        await writeFile(join(dir, name), bytes)
        const store = new FileRecordStore({ dir, limits: { maxValueBytes: 200 }, now: () => 0 })
        const records = await store.all()
        expect(records.length + store.rejected).toBe(1)
        for (const loaded of records) {
          expect(recordFileName(loaded.key)).toBe(name)
          expect(loaded.value.length).toBeLessThanOrEqual(200)
          expect(loaded.value.length + RECORD_FILE_OVERHEAD_BYTES).toBe(bytes.length)
        }
        await store.delete(key)
      }),
      { numRuns: 100 },
    )
  })

  it('finishes the writes queued before close, and refuses later ones (ERR_CLOSED) without a file', async () => {
    const { store, dir } = await storeIn()
    const first = store.put(record('a', 'one'))
    const queued = store.put(record('a', 'two')) // behind the first, for the same key
    const closed = store.close()
    await expect(store.put(record('b'))).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    await expect(store.delete(keyOf('a'))).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    await Promise.all([first, queued, closed])
    expect(await readdir(dir)).toEqual([recordFileName(keyOf('a'))])
    const reopened = new FileRecordStore({ dir, now: () => NOW })
    expect((await reopened.get(keyOf('a')))?.value).toEqual(new TextEncoder().encode('two'))
  })

  it('writes the same bytes whether or not it fsyncs', async () => {
    const synced = await storeIn(undefined, { sync: true })
    const unsynced = await storeIn(undefined, { sync: false })
    await synced.store.put(record('alice'))
    await unsynced.store.put(record('alice'))
    const name = recordFileName(keyOf('alice'))
    expect(await readFile(join(synced.dir, name))).toEqual(await readFile(join(unsynced.dir, name)))
  })
})

describe('DirectoryStore limits', () => {
  it('follow the node’s maxValueBytes: a stored set past the default limit is written and read back only with the larger one', async () => {
    const big: StoredRecord = { key: keyOf('big'), value: new Uint8Array(DEFAULT_RECORD_FILE_LIMITS.maxValueBytes + 1).fill(7), expiresAt: Date.now() + 60_000 }
    const dir = await temp.make()
    await expect(new DirectoryStore({ dir, sync: false }).put(big)).rejects.toThrow()
    const limits = recordFileLimits(4 * DEFAULTS.maxValueBytes)
    await new DirectoryStore({ dir, sync: false, limits }).put(big)
    const reopened = new DirectoryStore({ dir, sync: false, limits })
    expect((await reopened.all()).map((r) => r.value.length)).toEqual([big.value.length])
  })
})
