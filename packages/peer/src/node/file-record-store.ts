/**
 * The core's `RecordStore` on a directory, one file per record (`<40 hex key>.rec`, binary; the
 * format and its one parser are in `record-file.ts`). The Node peer's counterpart of the web
 * app's `IdbRecordStore`.
 *
 * Writes are atomic: `put` writes `.tmp-<name>.<random>` in the same directory, then renames it
 * over `<name>`, so a reader (or a restart after a crash) sees the old file or the new one, never
 * half of one. Durability: with `sync` on (the default) the temp file is fsynced before the rename
 * and the directory after it, so `put` and `delete` resolve only once the change survives a power
 * loss; with `sync: false` they resolve once the OS has the change (it survives a crash of this
 * process, not of the machine) — for benchmarks that run hundreds of peers. Writes to one key are
 * applied one after another, in call order.
 *
 * Reads come from memory. `all()` (which the node calls once, at start) reads the directory, parses
 * every `<hex>.rec` file through `parseStoredFile`, and loads the good ones into an in-memory
 * mirror; from then on `get` answers from the mirror without touching the disk. Files that do not
 * parse (corrupt, truncated, oversized, foreign) are skipped, counted in `lastLoad`, and left in
 * place for a person to look at (the next `put` of that key replaces them). Expired records are
 * deleted. Files with other names are not read; leftover temp files of an interrupted write are
 * deleted. Nothing in the directory makes `all()` throw; only failing to read the directory itself
 * does. The mirror is bounded by what the node keeps (`maxRecords`, `maxStoredBytes`). Like the
 * IndexedDB store, it assumes it is the only writer of its directory.
 */
import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Id, RecordStore, StoredRecord } from '@browser-dht/kademlia'
import {
  DEFAULT_RECORD_FILE_LIMITS,
  encodeStoredFile,
  maxRecordFileBytes,
  type ParsedRecordFile,
  parseStoredFile,
  RECORD_FILE_NAME,
  type RecordFileError,
  RecordFileErrorCode,
  type RecordFileLimits,
  recordFileName,
} from './record-file.ts'
import { PeerError, PeerErrorCode } from '../errors.ts'
import { codeOf, messageOf } from './errno.ts'

/** Prefix of the temp file a write goes through before its rename. */
export const TEMP_PREFIX = '.tmp-'
/** Files read at once while loading. */
const LOAD_CONCURRENCY = 16
/** Rejected files listed by name in a `LoadReport` (all are counted). */
export const MAX_REPORTED_REJECTIONS = 20

/** Opens a file for reading without following a symlink or blocking on a FIFO (where the OS has the flags). */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

export interface FileRecordStoreOptions {
  /** The records directory, e.g. `<data>/records`; created (with parents) when missing. */
  readonly dir: string
  /** Largest stored value (a key's set of signed records) read or written. Default: `DEFAULT_RECORD_FILE_LIMITS`. */
  readonly limits?: RecordFileLimits
  /** fsync each write and the directory, so it survives a power loss before `put` resolves. Default true. */
  readonly sync?: boolean
  /** Wall-clock ms; records with `expiresAt <= now()` are deleted on load. Default `Date.now`. */
  readonly now?: () => number
}

/** What the last `all()` found in the directory. */
export interface LoadReport {
  /** Records loaded into the mirror. */
  readonly loaded: number
  /** Expired records, deleted. */
  readonly expired: number
  /** `<hex>.rec` files that did not parse (skipped, left in place). */
  readonly rejected: number
  /** Rejected files per reason. */
  readonly rejectedByCode: Partial<Record<RecordFileErrorCode, number>>
  /** The first `MAX_REPORTED_REJECTIONS` rejected files and why. */
  readonly rejections: readonly { readonly name: string; readonly error: RecordFileError }[]
  /** Files with other names, not read. */
  readonly ignored: number
  /** Temp files of interrupted writes, deleted. */
  readonly leftoverTemps: number
}

type Write = { name: string; record: StoredRecord | undefined }

export class FileRecordStore implements RecordStore {
  readonly dir: string
  readonly #limits: RecordFileLimits
  readonly #sync: boolean
  readonly #now: () => number
  /** Records by file name, once `all()` has loaded them. */
  #mirror: Map<string, StoredRecord> | undefined
  /** For each `all()` in progress: the writes that finished meanwhile, replayed over what it read. */
  readonly #loads = new Set<Write[]>()
  /** The last write queued per file name (writes to one key run in order). */
  readonly #queues = new Map<string, Promise<void>>()
  #closed = false
  /** Temp files of writes in flight (a load must not delete them). */
  readonly #temps = new Set<string>()
  #ready: Promise<void> | undefined
  #lastLoad: LoadReport | undefined

  constructor(options: FileRecordStoreOptions) {
    this.dir = options.dir
    this.#limits = options.limits ?? DEFAULT_RECORD_FILE_LIMITS
    this.#sync = options.sync ?? true
    this.#now = options.now ?? Date.now
  }

  async get(key: Id): Promise<StoredRecord | undefined> {
    const name = recordFileName(key)
    if (this.#mirror !== undefined) return this.#mirror.get(name)
    const read = await this.#read(name)
    return read?.ok === true ? read.record : undefined
  }

  /** Resolves once the file is renamed into place (and fsynced, with `sync`); then the mirror has it. */
  async put(record: StoredRecord): Promise<void> {
    const bytes = encodeStoredFile(record, this.#limits)
    const name = recordFileName(record.key)
    const stored: StoredRecord = { key: record.key.slice(), value: record.value.slice(), expiresAt: record.expiresAt }
    await this.#queue(name, async () => {
      await this.#writeFile(name, bytes)
      this.#wrote({ name, record: stored })
    })
  }

  /** Resolves once the file is gone (and the directory fsynced, with `sync`); then the mirror no longer has it. */
  async delete(key: Id): Promise<void> {
    const name = recordFileName(key)
    await this.#queue(name, async () => {
      await this.#ensureDir()
      await rm(join(this.dir, name), { force: true })
      if (this.#sync) await this.#syncDir()
      this.#wrote({ name, record: undefined })
    })
  }

  /** Every live record on disk; (re)loads the mirror that `get` answers from. Details in `lastLoad`. */
  async all(): Promise<StoredRecord[]> {
    const log: Write[] = []
    this.#loads.add(log)
    let mirror: Map<string, StoredRecord>
    try {
      mirror = await this.#load()
    } finally {
      this.#loads.delete(log)
    }
    for (const write of log) apply(mirror, write)
    this.#mirror = mirror
    return [...mirror.values()]
  }

  /** What the last `all()` found, or undefined before it has run. */
  get lastLoad(): LoadReport | undefined {
    return this.#lastLoad
  }

  /** Files the last `all()` rejected (0 before it has run). */
  get rejected(): number {
    return this.#lastLoad?.rejected ?? 0
  }

  /** Records in the mirror, or undefined before `all()` has run. */
  get mirrored(): number | undefined {
    return this.#mirror?.size
  }

  /** Resolves when every write queued so far has finished (for a clean shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.#queues.values())
  }

  /**
   * Refuses every later write (`ERR_CLOSED`: a write queued behind another of the same key after
   * the node stopped would land in a directory its owner may be removing) and resolves when those
   * queued before have finished.
   */
  async close(): Promise<void> {
    this.#closed = true
    await this.settled()
  }

  async #load(): Promise<Map<string, StoredRecord>> {
    await this.#ensureDir()
    const names = await readdir(this.dir)
    const report = { loaded: 0, expired: 0, rejected: 0, ignored: 0, leftoverTemps: 0 }
    const rejectedByCode: Partial<Record<RecordFileErrorCode, number>> = {}
    const rejections: { name: string; error: RecordFileError }[] = []
    const mirror = new Map<string, StoredRecord>()
    const now = this.#now()
    const visit = async (name: string): Promise<void> => {
      if (!RECORD_FILE_NAME.test(name)) {
        if (!name.startsWith(TEMP_PREFIX)) report.ignored++
        else if (!this.#temps.has(name)) {
          report.leftoverTemps++
          await rm(join(this.dir, name), { force: true, recursive: true }).catch(() => {})
        }
        return
      }
      const read = await this.#read(name)
      if (read === undefined) return // deleted meanwhile
      if (!read.ok) {
        report.rejected++
        rejectedByCode[read.error.code] = (rejectedByCode[read.error.code] ?? 0) + 1
        if (rejections.length < MAX_REPORTED_REJECTIONS) rejections.push({ name, error: read.error })
      } else if (read.record.expiresAt <= now) {
        report.expired++
        await this.#queue(name, () => this.#deleteIfExpired(name, now)).catch(() => {})
      } else {
        mirror.set(name, read.record)
      }
    }
    await forEachConcurrently(names, LOAD_CONCURRENCY, visit)
    report.loaded = mirror.size
    this.#lastLoad = { ...report, rejectedByCode, rejections }
    return mirror
  }

  /** Deletes the file if it still holds an expired record (a `put` may have replaced it since it was read). */
  async #deleteIfExpired(name: string, now: number): Promise<void> {
    const read = await this.#read(name)
    if (read?.ok === true && read.record.expiresAt <= now) await rm(join(this.dir, name), { force: true })
  }

  /** The parsed file, or undefined if there is no such file. Never throws. */
  async #read(name: string): Promise<ParsedRecordFile | undefined> {
    const path = join(this.dir, name)
    const max = maxRecordFileBytes(this.#limits)
    let handle: FileHandle | undefined
    try {
      const linked = await lstat(path)
      if (!linked.isFile()) return unreadable(`not a regular file`)
      handle = await open(path, READ_FLAGS)
      const stats: Stats = await handle.stat()
      if (!stats.isFile()) return unreadable('not a regular file')
      if (stats.size > max) return { ok: false, error: { code: RecordFileErrorCode.TOO_LARGE, message: `${stats.size} bytes exceeds ${max}` } }
      return parseStoredFile(name, await readAtMost(handle, Math.min(stats.size, max) + 1), this.#limits)
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined
      return unreadable(messageOf(error))
    } finally {
      await handle?.close().catch(() => {})
    }
  }

  /** Writes `bytes` to a temp file and renames it over `name`. */
  async #writeFile(name: string, bytes: Uint8Array): Promise<void> {
    await this.#ensureDir()
    const temp = `${TEMP_PREFIX}${name}.${randomBytes(4).toString('hex')}`
    const tempPath = join(this.dir, temp)
    this.#temps.add(temp)
    try {
      const handle = await open(tempPath, 'wx')
      try {
        await handle.writeFile(bytes)
        if (this.#sync) await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(tempPath, join(this.dir, name))
    } catch (error) {
      await rm(tempPath, { force: true }).catch(() => {})
      throw error
    } finally {
      this.#temps.delete(temp)
    }
    if (this.#sync) await this.#syncDir()
  }

  /** fsyncs the directory, so a rename or unlink in it is durable. Skipped where the OS cannot. */
  async #syncDir(): Promise<void> {
    let handle: FileHandle | undefined
    try {
      handle = await open(this.dir, 'r')
      await handle.sync()
    } catch (error) {
      if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(codeOf(error) ?? '')) throw error
    } finally {
      await handle?.close().catch(() => {})
    }
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined // try again next time
        throw error
      },
    )
    return this.#ready
  }

  /** Runs `task` after every earlier task for `name` has settled. */
  #queue(name: string, task: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.reject(new PeerError(PeerErrorCode.CLOSED, `the record store in ${this.dir} is closed`))
    const run = (this.#queues.get(name) ?? Promise.resolve()).then(task)
    const settled = run.then(
      () => {},
      () => {},
    )
    this.#queues.set(name, settled)
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name)
    })
    return run
  }

  /** A write finished: into the mirror, and into the log of each load in progress. */
  #wrote(write: Write): void {
    if (this.#mirror !== undefined) apply(this.#mirror, write)
    for (const log of this.#loads) log.push(write)
  }
}

function apply(mirror: Map<string, StoredRecord>, { name, record }: Write): void {
  if (record === undefined) mirror.delete(name)
  else mirror.set(name, record)
}

function unreadable(message: string): ParsedRecordFile {
  return { ok: false, error: { code: RecordFileErrorCode.UNREADABLE, message } }
}

/** Up to `limit` bytes from the start of the file (fewer if it is shorter). */
async function readAtMost(handle: FileHandle, limit: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(limit)
  let filled = 0
  while (filled < limit) {
    const { bytesRead } = await handle.read(buffer, filled, limit - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return buffer.subarray(0, filled)
}

/** Calls `task` for each item, at most `concurrency` at a time. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
