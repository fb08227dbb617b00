/**
 * The node's identity on disk: `<data>/identity.json`, so the peer keeps its node ID across
 * restarts. The file holds the ed25519 secret key, so it is created with mode 0600 in a data
 * directory created with mode 0700. Contents (one line of JSON):
 *
 *   {"version":1,"id":"<40 hex: SHA-1 of the public key>","secretKey":"<64 hex>"}
 *
 * `id` is there for people (and as a check: it must match the key). Everything read back goes
 * through `parseIdentityFile`. A file that does not parse is an `IdentityFileError`, never
 * replaced: losing the key means losing the node ID, so a person decides (move the file away to
 * start as a new node). A valid file whose ID does not solve the network's ID puzzle (made before
 * the puzzle existed) cannot join, so it is moved aside and a new identity is created. Creation is atomic and never overwrites: the file is written to a temp
 * name, fsynced, then hard-linked to `identity.json` (which fails if another process got there
 * first; its identity is then used).
 */
import { randomBytes } from 'node:crypto'
import { type FileHandle, link, mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_ID_PUZZLE_BITS, meetsIdPuzzle, toHex } from '@browser-dht/kademlia'
import { createIdentity, type NodeIdentity } from '@browser-dht/identity'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { codeOf, messageOf } from './errno.ts'

export const IDENTITY_FILE_NAME = 'identity.json'
/** The format version written and read. */
export const IDENTITY_FILE_VERSION = 1
/** A larger identity file is not read (a valid one is about 150 bytes). */
export const MAX_IDENTITY_FILE_BYTES = 4096

export const IdentityFileErrorCode = {
  /** The file exists but is not a valid identity file (bad JSON, fields, sizes, or an `id` that does not match the key). */
  CORRUPT: 'ERR_IDENTITY_CORRUPT',
  /** The file or the data directory could not be read or written (permissions, not a file, disk). */
  UNREADABLE: 'ERR_IDENTITY_UNREADABLE',
} as const

export type IdentityFileErrorCode = (typeof IdentityFileErrorCode)[keyof typeof IdentityFileErrorCode]

/** Loading or creating the identity failed; `code` says why, `path` which file. */
export class IdentityFileError extends Error {
  override readonly name = 'IdentityFileError'
  constructor(
    readonly code: IdentityFileErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`)
  }
}

export type ParsedIdentityFile = { readonly ok: true; readonly identity: NodeIdentity } | { readonly ok: false; readonly message: string }

export interface LoadedIdentity {
  readonly identity: NodeIdentity
  /** True if this call created the file. */
  readonly created: boolean
  readonly path: string
  /** True if group or others may read the file (mode & 0o077); worth a warning. */
  readonly permissive: boolean
  /**
   * Set when the stored identity did not solve the network's ID puzzle: where its file was moved
   * (kept, never deleted) before a new identity was created in its place.
   */
  readonly replacedWeak?: string
}

const SECRET_KEY_HEX = /^[0-9a-f]{64}$/
const ID_HEX = /^[0-9a-f]{40}$/

/** The identity in a file's text, or why there is none. Never throws. */
export function parseIdentityFile(text: string): ParsedIdentityFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { ok: false, message: 'not JSON' }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: 'not a JSON object' }
  const { version, id, secretKey } = raw as Record<string, unknown>
  if (version !== IDENTITY_FILE_VERSION) return { ok: false, message: `version must be ${IDENTITY_FILE_VERSION}` }
  if (typeof secretKey !== 'string' || !SECRET_KEY_HEX.test(secretKey)) return { ok: false, message: 'secretKey must be 64 lowercase hex digits' }
  if (typeof id !== 'string' || !ID_HEX.test(id)) return { ok: false, message: 'id must be 40 lowercase hex digits' }
  const identity = identityFromSecretKey(Uint8Array.from(Buffer.from(secretKey, 'hex')))
  if (toHex(identity.id) !== id) return { ok: false, message: `id ${id} is not the ID of secretKey (${toHex(identity.id)})` }
  return { ok: true, identity }
}

/** The file text of an identity. */
export function encodeIdentityFile(identity: NodeIdentity): string {
  const fields = { version: IDENTITY_FILE_VERSION, id: toHex(identity.id), secretKey: toHex(identity.secretKey) }
  return `${JSON.stringify(fields)}\n`
}

export interface LoadIdentityOptions {
  /**
   * The network's ID puzzle (the transport's `idPuzzleBits`): a stored identity whose ID does not
   * solve it is moved aside and replaced. Default `DEFAULT_ID_PUZZLE_BITS`.
   */
  readonly puzzleBits?: number
  /** Makes the identity of a new node. Default: `createIdentity` (solves the puzzle). */
  readonly generate?: () => NodeIdentity | Promise<NodeIdentity>
}

/**
 * The identity in `<dataDir>/identity.json`, created there (with the directory) if missing, or
 * if the stored one does not solve the ID puzzle (then the old file is renamed
 * `identity.weak-<ms since 1970>.json`, never deleted). Throws `IdentityFileError` when the file
 * is corrupt or cannot be read or written.
 */
export async function loadOrCreateIdentity(dataDir: string, options: LoadIdentityOptions = {}): Promise<LoadedIdentity> {
  const path = join(dataDir, IDENTITY_FILE_NAME)
  const puzzleBits = options.puzzleBits ?? DEFAULT_ID_PUZZLE_BITS
  const existing = await readIdentity(path)
  if (existing !== undefined && meetsIdPuzzle(existing.identity.id, puzzleBits)) return { ...existing, created: false, path }
  const replacedWeak = existing === undefined ? undefined : await moveAside(dataDir, path)
  const identity = await (options.generate ?? (() => createIdentity({ puzzleBits })))()
  const created = await createIdentityFile(dataDir, path, identity)
  if (created) return { identity, created: true, path, permissive: false, ...(replacedWeak === undefined ? {} : { replacedWeak }) }
  const raced = await readIdentity(path)
  if (raced === undefined) throw new IdentityFileError(IdentityFileErrorCode.UNREADABLE, path, 'was created and then vanished')
  return { ...raced, created: false, path }
}

/** Renames the identity file out of the way (keeping the key); returns its new path. */
async function moveAside(dataDir: string, path: string): Promise<string> {
  const aside = join(dataDir, `identity.weak-${Date.now()}.json`)
  try {
    await rename(path, aside)
  } catch (error) {
    throw new IdentityFileError(IdentityFileErrorCode.UNREADABLE, path, `cannot move a weak identity aside: ${messageOf(error)}`)
  }
  return aside
}

/** The identity in the file, or undefined if there is no file. */
async function readIdentity(path: string): Promise<{ identity: NodeIdentity; permissive: boolean } | undefined> {
  let handle: FileHandle | undefined
  let text: string
  let mode: number
  try {
    handle = await open(path, 'r')
    const stats = await handle.stat()
    if (!stats.isFile()) throw new IdentityFileError(IdentityFileErrorCode.UNREADABLE, path, 'is not a regular file')
    if (stats.size > MAX_IDENTITY_FILE_BYTES) {
      throw new IdentityFileError(IdentityFileErrorCode.CORRUPT, path, `${stats.size} bytes is more than an identity file holds (${MAX_IDENTITY_FILE_BYTES})`)
    }
    mode = stats.mode
    text = await handle.readFile('utf8')
  } catch (error) {
    if (error instanceof IdentityFileError) throw error
    if (codeOf(error) === 'ENOENT') return undefined
    throw new IdentityFileError(IdentityFileErrorCode.UNREADABLE, path, messageOf(error))
  } finally {
    await handle?.close().catch(() => {})
  }
  const parsed = parseIdentityFile(text)
  if (!parsed.ok) throw new IdentityFileError(IdentityFileErrorCode.CORRUPT, path, `${parsed.message}; not replacing it (move it away to start as a new node)`)
  return { identity: parsed.identity, permissive: (mode & 0o077) !== 0 }
}

/** Writes the file atomically; false if one appeared meanwhile (left as it is). */
async function createIdentityFile(dataDir: string, path: string, identity: NodeIdentity): Promise<boolean> {
  const temp = join(dataDir, `.${IDENTITY_FILE_NAME}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(encodeIdentityFile(identity))
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(temp, path)
    return true
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false
    throw new IdentityFileError(IdentityFileErrorCode.UNREADABLE, path, `cannot create: ${messageOf(error)}`)
  } finally {
    await rm(temp, { force: true }).catch(() => {})
  }
}
