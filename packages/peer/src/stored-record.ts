/**
 * The one parser for what a peer reads back from storage (IndexedDB, published files). Storage holds whatever an older
 * version, another tab or a user with devtools left there, so nothing read from it is cast:
 * each entry is checked field by field, and one that does not check out is `undefined` (the
 * caller drops it).
 */
import { DEFAULTS, ID_BYTES, type Id, maxStoredSetBytes, type StoredRecord, toHex } from '@browser-dht/kademlia'
import type { PublishedEntry } from './store.ts'

export type { PublishedEntry }

/** IndexedDB keys: `r:<hex>` a record held for the DHT, `p:<hex>` a record this node published. */
export const HELD_PREFIX = 'r:'
export const PUBLISHED_PREFIX = 'p:'

export const heldKey = (key: Id): string => HELD_PREFIX + toHex(key)
export const publishedKey = (key: Id): string => PUBLISHED_PREFIX + toHex(key)

export interface ParseLimits {
  /** Largest stored value: a key's set of signed records (the core's `maxStoredSetBytes`). */
  maxValueBytes: number
  maxTtlMs: number
  /** Longest name kept with a published record. */
  maxNameLength: number
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxValueBytes: maxStoredSetBytes(DEFAULTS.maxValueBytes, DEFAULTS.maxPublishersPerKey),
  maxTtlMs: DEFAULTS.maxTtlMs,
  maxNameLength: 1024,
}

type Fields = Record<string, unknown>

function fieldsOf(raw: unknown): Fields | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  return raw as Fields
}

function bytes(value: unknown, maxLength: number, exactLength?: number): Uint8Array | undefined {
  if (!(value instanceof Uint8Array) || value.length > maxLength) return undefined
  if (exactLength !== undefined && value.length !== exactLength) return undefined
  return value
}

function time(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/** A record held for the DHT, as `IdbRecordStore` wrote it; `undefined` when corrupted. */
export function parseStoredRecord(raw: unknown, limits: ParseLimits = DEFAULT_PARSE_LIMITS): StoredRecord | undefined {
  const fields = fieldsOf(raw)
  if (fields === undefined) return undefined
  const key = bytes(fields.key, ID_BYTES, ID_BYTES)
  const value = bytes(fields.value, limits.maxValueBytes)
  const expiresAt = time(fields.expiresAt)
  if (key === undefined || value === undefined || expiresAt === undefined) return undefined
  return { key, value, expiresAt }
}

/** A published record, as `IdbRecordStore.savePublished` wrote it; `undefined` when corrupted. */
export function parsePublishedEntry(raw: unknown, limits: ParseLimits = DEFAULT_PARSE_LIMITS): PublishedEntry | undefined {
  const record = parseStoredRecord(raw, limits)
  const fields = fieldsOf(raw)
  if (record === undefined || fields === undefined) return undefined
  const ttlMs = fields.ttlMs
  const validTtl = typeof ttlMs === 'number' && Number.isInteger(ttlMs) && ttlMs > 0 && ttlMs <= limits.maxTtlMs
  const name = fields.name
  const validName = name === undefined || (typeof name === 'string' && name.length <= limits.maxNameLength)
  if (!validTtl || !validName) return undefined
  return { ...record, ttlMs, name }
}
