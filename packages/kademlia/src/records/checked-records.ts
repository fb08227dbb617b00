/**
 * Records a read found valid lately, so that the same record again (from another holder of the
 * same get, or the next get) costs no second signature check: a get hears the same record from
 * most of the key's holders, and the checks were most of a get's CPU. Only the very same bytes
 * under the same key (`sameRecord`) skip the check; anything else is checked in full.
 */
import { type Id, idKey, toHex } from '../keyspace/id.ts'
import { BoundedMap } from '../platform/bounded-map.ts'
import { type CheckOptions, checkRecord, sameRecord, type SignedRecord } from './signed-record.ts'

/** Records whose successful check is remembered, least recently found forgotten first. */
export const CHECKED_RECORDS_REMEMBERED = 1024

export class CheckedRecords {
  /** Records found valid, by key and signature. */
  readonly #valid = new BoundedMap<SignedRecord>(CHECKED_RECORDS_REMEMBERED)

  /** `checkRecord(...).ok`, without a second check of a record found valid under `key` lately. */
  async check(key: Id, record: SignedRecord, options: CheckOptions): Promise<boolean> {
    if (record.kind === 'immutable') return (await checkRecord(key, record, options)).ok
    const name = `${idKey(key)}:${toHex(record.signature)}`
    const known = this.#valid.get(name)
    if (known !== undefined && sameRecord(known, record)) return true
    if (!(await checkRecord(key, record, options)).ok) return false
    this.#valid.remember(name, record)
    return true
  }
}
