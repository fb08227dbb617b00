import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { meetsIdPuzzle, toHex } from '@browser-dht/kademlia'
import { createIdentity } from '@browser-dht/identity'
import { generateIdentity } from '@browser-dht/identity/noble'
import { describe, expect, it } from 'vitest'
import {
  encodeIdentityFile,
  IDENTITY_FILE_NAME,
  IdentityFileError,
  IdentityFileErrorCode,
  loadOrCreateIdentity,
  MAX_IDENTITY_FILE_BYTES,
  parseIdentityFile,
} from '../src/node/identity-file.ts'
import { useTempDirs } from './helpers.ts'

const temp = useTempDirs()

async function codeOfLoad(dir: string): Promise<string> {
  try {
    await loadOrCreateIdentity(dir)
    return 'ok'
  } catch (error) {
    return error instanceof IdentityFileError ? error.code : `not an IdentityFileError: ${String(error)}`
  }
}

describe('loadOrCreateIdentity', () => {
  it('creates an identity on first start and gives the same node ID on the next', async () => {
    const dir = join(await temp.make(), 'data')
    const first = await loadOrCreateIdentity(dir)
    expect(first.created).toBe(true)
    expect(first.path).toBe(join(dir, IDENTITY_FILE_NAME))
    const second = await loadOrCreateIdentity(dir)
    expect(second.created).toBe(false)
    expect(toHex(second.identity.id)).toBe(toHex(first.identity.id))
    expect(second.identity.secretKey).toEqual(first.identity.secretKey)
    expect(second.permissive).toBe(false)
    expect(await readdir(dir)).toEqual([IDENTITY_FILE_NAME])
  })

  it.skipIf(process.platform === 'win32')('creates the file with mode 0600 in a directory with mode 0700', async () => {
    const dir = join(await temp.make(), 'data')
    const { path } = await loadOrCreateIdentity(dir)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('reads an identity written by encodeIdentityFile and says when others may read it', async () => {
    const dir = await temp.make()
    const identity = await createIdentity({ puzzleBits: 6 })
    await writeFile(join(dir, IDENTITY_FILE_NAME), encodeIdentityFile(identity), { mode: 0o644 })
    const loaded = await loadOrCreateIdentity(dir, { puzzleBits: 6 })
    expect(loaded).toMatchObject({ created: false, permissive: process.platform !== 'win32' })
    expect(loaded.identity.id).toEqual(identity.id)
  })

  it('moves a stored identity that does not solve the ID puzzle aside, keeps it, and creates one that does', async () => {
    const dir = await temp.make()
    let weak = generateIdentity()
    while (meetsIdPuzzle(weak.id, 6)) weak = generateIdentity()
    await writeFile(join(dir, IDENTITY_FILE_NAME), encodeIdentityFile(weak), { mode: 0o600 })
    const loaded = await loadOrCreateIdentity(dir, { puzzleBits: 6 })
    expect(loaded.created).toBe(true)
    expect(meetsIdPuzzle(loaded.identity.id, 6)).toBe(true)
    expect(loaded.replacedWeak).toMatch(/identity\.weak-\d+\.json$/)
    expect(await readFile(loaded.replacedWeak!, 'utf8')).toBe(encodeIdentityFile(weak))
    expect((await loadOrCreateIdentity(dir, { puzzleBits: 6 })).identity.id).toEqual(loaded.identity.id)
  })

  it('gives ERR_IDENTITY_CORRUPT for a corrupt file and leaves it as it was', async () => {
    const dir = await temp.make()
    const path = join(dir, IDENTITY_FILE_NAME)
    await writeFile(path, '{"version":1,"secretKey":"not hex"}')
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(IdentityFileError)
    expect(await codeOfLoad(dir)).toBe(IdentityFileErrorCode.CORRUPT)
    expect(await readFile(path, 'utf8')).toBe('{"version":1,"secretKey":"not hex"}')
  })

  it('gives ERR_IDENTITY_CORRUPT for an empty, truncated or oversized file', async () => {
    const dir = await temp.make()
    const path = join(dir, IDENTITY_FILE_NAME)
    for (const text of ['', encodeIdentityFile(generateIdentity()).slice(0, 50), ' '.repeat(MAX_IDENTITY_FILE_BYTES + 1)]) {
      await writeFile(path, text)
      expect(await codeOfLoad(dir)).toBe(IdentityFileErrorCode.CORRUPT)
    }
  })

  it('gives ERR_IDENTITY_UNREADABLE when identity.json is not a file', async () => {
    const dir = await temp.make()
    await mkdir(join(dir, IDENTITY_FILE_NAME))
    expect(await codeOfLoad(dir)).toBe(IdentityFileErrorCode.UNREADABLE)
  })

  it('gives ERR_IDENTITY_UNREADABLE when the data directory cannot be created', async () => {
    const dir = await temp.make()
    await writeFile(join(dir, 'a file'), '')
    expect(await codeOfLoad(join(dir, 'a file', 'data'))).toBe(IdentityFileErrorCode.UNREADABLE)
  })

  it('uses one identity when two starts race to create it', async () => {
    const dir = join(await temp.make(), 'data')
    const [a, b] = await Promise.all([loadOrCreateIdentity(dir), loadOrCreateIdentity(dir)])
    expect(a.identity.id).toEqual(b.identity.id)
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1)
    expect(await readdir(dir)).toEqual([IDENTITY_FILE_NAME])
  })
})

describe('parseIdentityFile', () => {
  const identity = generateIdentity()
  const fields = { version: 1, id: toHex(identity.id), secretKey: toHex(identity.secretKey) }
  const parse = (value: unknown) => parseIdentityFile(typeof value === 'string' ? value : JSON.stringify(value))

  it('reads back what encodeIdentityFile wrote', () => {
    const parsed = parseIdentityFile(encodeIdentityFile(identity))
    expect(parsed.ok && toHex(parsed.identity.publicKey)).toBe(toHex(identity.publicKey))
  })

  it('refuses anything that is not exactly an identity file', () => {
    const bad: unknown[] = [
      'not json',
      'null',
      '[]',
      { ...fields, version: 2 },
      { ...fields, secretKey: fields.secretKey.toUpperCase() },
      { ...fields, secretKey: fields.secretKey.slice(2) },
      { ...fields, secretKey: 42 },
      { ...fields, id: undefined },
      { ...fields, id: toHex(generateIdentity().id) },
    ]
    for (const value of bad) expect(parse(value).ok, JSON.stringify(value)).toBe(false)
  })
})
