/**
 * A Node peer's `PeerStore` on its data directory: held records in `<data>/records/`
 * (`FileRecordStore`), its own published records in `<data>/published/` (`PublishedFiles`).
 */
import { join } from 'node:path'
import type { Id, StoredRecord } from '@browser-dht/kademlia'
import type { PeerStore, PublishedEntry } from '../store.ts'
import { FileRecordStore, type LoadReport } from './file-record-store.ts'
import { PublishedFiles } from './published-files.ts'
import { DEFAULT_RECORD_FILE_LIMITS, type RecordFileLimits } from './record-file.ts'

export class DirectoryStore implements PeerStore {
  readonly records: FileRecordStore
  readonly #published: PublishedFiles

  /**
   * `sync`: fsync every write (default true; off for hundreds of peers in one process). `limits`:
   * the largest stored set a file holds (`recordFileLimits` of the node's `maxValueBytes` and
   * `maxPublishersPerKey`; default the core's defaults').
   */
  constructor(options: { dir: string; sync?: boolean; limits?: RecordFileLimits }) {
    const limits = options.limits ?? DEFAULT_RECORD_FILE_LIMITS
    this.records = new FileRecordStore({ dir: join(options.dir, 'records'), sync: options.sync ?? true, limits })
    this.#published = new PublishedFiles({ dir: join(options.dir, 'published'), sync: options.sync ?? true, limits })
  }

  /** What the last load of the records directory found. */
  get lastLoad(): LoadReport | undefined {
    return this.records.lastLoad
  }

  get(key: Id): Promise<StoredRecord | undefined> {
    return this.records.get(key)
  }

  put(record: StoredRecord): Promise<void> {
    return this.records.put(record)
  }

  delete(key: Id): Promise<void> {
    return this.records.delete(key)
  }

  all(): Promise<StoredRecord[]> {
    return this.records.all()
  }

  published(): Promise<PublishedEntry[]> {
    return this.#published.published()
  }

  savePublished(entry: PublishedEntry): Promise<void> {
    return this.#published.savePublished(entry)
  }

  deletePublished(key: Id): Promise<void> {
    return this.#published.deletePublished(key)
  }

  /** Waits for every write in flight. */
  async close(): Promise<void> {
    await Promise.all([this.records.close(), this.#published.settled()])
  }
}
