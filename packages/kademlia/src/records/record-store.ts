/**
 * Where a node keeps the records it holds for others. Async, so a tab can put IndexedDB behind it
 * and a Node peer a directory; the in-memory one is for tests and the simulator.
 */
import { type Id, idKey } from '../keyspace/id.ts'

export interface StoredRecord {
  key: Id
  value: Uint8Array
  /** Clock time after which the record is dropped. */
  expiresAt: number
}

export interface RecordStore {
  get(key: Id): Promise<StoredRecord | undefined>
  /** Resolves once the record is durable in this store. */
  put(record: StoredRecord): Promise<void>
  delete(key: Id): Promise<void>
  /** Every record, read once when the node starts. */
  all(): Promise<StoredRecord[]>
}

export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, StoredRecord>()

  async get(key: Id): Promise<StoredRecord | undefined> {
    return this.#records.get(idKey(key))
  }

  async put(record: StoredRecord): Promise<void> {
    this.#records.set(idKey(record.key), record)
  }

  async delete(key: Id): Promise<void> {
    this.#records.delete(idKey(key))
  }

  async all(): Promise<StoredRecord[]> {
    return [...this.#records.values()]
  }

  get size(): number {
    return this.#records.size
  }
}
