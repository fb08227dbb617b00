/**
 * A Node peer's published records on disk: `<data>/published/<40 hex key>.rec`, the same checked,
 * atomic record files as the held records (`record-file.ts`), whose value frames one
 * `PublishedEntry`:
 *
 * | bytes | field                                                        |
 * |-------|--------------------------------------------------------------|
 * | 8     | ttlMs: float64                                               |
 * | 8     | expiresAt: float64, wall-clock ms of the last (re)publish's end |
 * | 2     | name length in bytes, uint16 (0xffff: no name)               |
 * | n     | name, UTF-8                                                  |
 * | rest  | the signed record (`encodeStoredSet`, one entry)             |
 *
 * What is read back goes through the same field checks as a tab's (`parsePublishedEntry`), and
 * the peer checks the record's signature before it republishes it. A published record does not
 * expire on disk (the publisher wants it alive), so its file's own `expiresAt` is "never".
 */
import type { Id } from '@browser-dht/kademlia'
import { DEFAULT_PARSE_LIMITS, parsePublishedEntry } from '../stored-record.ts'
import type { PublishedEntry, PublishedStore } from '../store.ts'
import { FileRecordStore } from './file-record-store.ts'
import { DEFAULT_RECORD_FILE_LIMITS, type RecordFileLimits } from './record-file.ts'

const NO_NAME = 0xffff
const HEADER_BYTES = 18

export function encodePublished(entry: PublishedEntry): Uint8Array {
  const name = entry.name === undefined ? undefined : new TextEncoder().encode(entry.name)
  if (name !== undefined && name.length >= NO_NAME) throw new RangeError('a published name is at most 65,534 bytes')
  const bytes = new Uint8Array(HEADER_BYTES + (name?.length ?? 0) + entry.value.length)
  const view = new DataView(bytes.buffer)
  view.setFloat64(0, entry.ttlMs)
  view.setFloat64(8, entry.expiresAt)
  view.setUint16(16, name?.length ?? NO_NAME)
  if (name !== undefined) bytes.set(name, HEADER_BYTES)
  bytes.set(entry.value, HEADER_BYTES + (name?.length ?? 0))
  return bytes
}

/** The entry framed in `bytes` under `key`, or undefined when it does not check out. */
export function decodePublished(key: Id, bytes: Uint8Array): PublishedEntry | undefined {
  if (bytes.length < HEADER_BYTES) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const nameLength = view.getUint16(16)
  const valueAt = HEADER_BYTES + (nameLength === NO_NAME ? 0 : nameLength)
  if (valueAt > bytes.length) return undefined
  let name: string | undefined
  try {
    name = nameLength === NO_NAME ? undefined : new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, valueAt))
  } catch {
    return undefined
  }
  const raw = { key, value: bytes.slice(valueAt), ttlMs: view.getFloat64(0), expiresAt: view.getFloat64(8), name }
  return parsePublishedEntry(raw)
}

/** `PublishedStore` on a directory (see the module comment). */
export class PublishedFiles implements PublishedStore {
  readonly #files: FileRecordStore

  /** `limits`: the records' (a published entry adds its header and name to a stored set). */
  constructor(options: { dir: string; sync?: boolean; limits?: RecordFileLimits }) {
    const maxValueBytes = (options.limits ?? DEFAULT_RECORD_FILE_LIMITS).maxValueBytes + HEADER_BYTES + DEFAULT_PARSE_LIMITS.maxNameLength * 3
    this.#files = new FileRecordStore({ dir: options.dir, sync: options.sync ?? true, limits: { maxValueBytes } })
  }

  async published(): Promise<PublishedEntry[]> {
    const entries: PublishedEntry[] = []
    for (const stored of await this.#files.all()) {
      const entry = decodePublished(stored.key, stored.value)
      if (entry === undefined) await this.#files.delete(stored.key)
      else entries.push(entry)
    }
    return entries
  }

  savePublished(entry: PublishedEntry): Promise<void> {
    return this.#files.put({ key: entry.key, value: encodePublished(entry), expiresAt: Number.MAX_SAFE_INTEGER })
  }

  deletePublished(key: Id): Promise<void> {
    return this.#files.delete(key)
  }

  settled(): Promise<void> {
    return this.#files.settled()
  }
}
