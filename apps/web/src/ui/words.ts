/**
 * Everything the page says in words: input checks, errors, states, numbers. Pure functions, so
 * the wording is unit-tested and lives in one place.
 */
import { isDhtError } from '@browser-dht/kademlia'

/** Longest key name accepted (the key itself is its SHA-1, whatever the length). */
export const MAX_NAME_LENGTH = 256

export type RequestCheck = { ok: true; name: string; value: Uint8Array } | { ok: false; message: string }

export interface RequestContext {
  /** Largest value in bytes (the node's `maxValueBytes`). */
  maxValueBytes: number
}

/** Checks a Put (value given) or Get (value undefined) before it goes to the node. */
export function checkRequest(rawName: string, rawValue: string | undefined, context: RequestContext): RequestCheck {
  const name = rawName.trim()
  if (name === '') return { ok: false, message: 'Type a key first: the key is the name the value is stored under.' }
  if (name.length > MAX_NAME_LENGTH) {
    return { ok: false, message: `The key is too long: ${name.length} characters. The limit is ${MAX_NAME_LENGTH}.` }
  }
  const value = new TextEncoder().encode(rawValue ?? '')
  if (value.length > context.maxValueBytes) {
    return {
      ok: false,
      message: `The value is too large: ${formatCount(value.length)} bytes of UTF-8 text. The limit is ${formatCount(context.maxValueBytes)} bytes (${formatBytes(context.maxValueBytes)}).`,
    }
  }
  return { ok: true, name, value }
}

export interface ErrorContext {
  /** The signaling server cannot be reached right now. */
  serverUnreachable: boolean
  signalUrl: string
}

/** A failed put or get, in plain words. */
export function describeError(error: unknown, context: ErrorContext): string {
  const offline = context.serverUnreachable
    ? ` The signaling server (${context.signalUrl}) is unreachable too, so this tab cannot meet other tabs yet; it keeps trying.`
    : ''
  if (!isDhtError(error)) return `Something went wrong: ${error instanceof Error ? error.message : String(error)}.`
  switch (error.code) {
    case 'ERR_NO_PEERS':
      return `No peers yet: this tab is not connected to any other tab. Open this page in another tab or browser and try again in a few seconds.${offline}`
    case 'ERR_VALUE_TOO_LARGE':
      return `The value is too large: ${error.message}.`
    case 'ERR_PUT_FAILED':
      return `No node accepted the value: the peers asked did not answer or are full. Try again.${offline}`
    case 'ERR_STORAGE_FULL':
      return 'Storage is full: this node holds or publishes as many records as it may.'
    case 'ERR_TIMEOUT':
      return 'The peers did not answer in time. Try again.'
    case 'ERR_SEQ_TOO_LOW':
      return 'A newer value exists: the nodes already hold a newer version of this value, so they kept it.'
    case 'ERR_BAD_SIGNATURE':
      return 'The signature is invalid: the nodes refused a value its publisher did not sign.'
    case 'ERR_KEY_FULL':
      return 'Too many publishers: this name already holds as many publishers’ values as a node keeps, and nobody can evict another’s.'
    case 'ERR_NOT_CLOSE':
      return 'Not yours to store here: the nodes asked know nodes closer to this key. Try again in a moment.'
    case 'ERR_SENDER_QUOTA':
      return 'This tab has stored as many records on those nodes as one sender may.'
    case 'ERR_RATE_LIMITED':
      return 'Too many stores at once: the nodes check a few records a second from each sender. Try again in a moment.'
    case 'ERR_CAS_MISMATCH':
      return 'The value changed meanwhile: the nodes hold another version than the one this update was based on.'
    case 'ERR_NOT_RUNNING':
      return 'This tab’s node has stopped. Reload the page.'
    default:
      return `The request failed (${error.code}): ${error.message}.`
  }
}

export function notFound(name: string): string {
  return `Not found: no node among the closest to “${name}” holds a value for it (it was never stored, or it expired).`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${Number.isInteger(n / 1024) ? n / 1024 : (n / 1024).toFixed(1)} KiB`
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`
}

/** "2 h 5 min", "40 s": a remaining lifetime, coarse. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
}

/** The first and last hex digits of an ID: enough to tell a handful of nodes apart. */
export function shortId(hex: string): string {
  return `${hex.slice(0, 8)}…${hex.slice(-4)}`
}

export interface RefusedCounts {
  /** Relayed DHT messages whose origin could not be proven (forged, replayed, too old, weak ID). */
  relays: number
  /** Connection signals refused for the same reasons. */
  signals: number
  /** Of those, refused only because a peer asked for more signature checks than its budget. */
  rateLimited: number
}

/** What the tab refused from peers because nobody could prove who sent it, in words. */
export function refusedSummary(counts: RefusedCounts): string {
  const { relays, signals, rateLimited } = counts
  if (relays === 0 && signals === 0) return 'Every relayed message and connection signal so far proved who sent it.'
  const limited = rateLimited > 0 ? `, ${formatCount(rateLimited)} of them because a peer sent more than this tab checks a second` : ''
  return `Refused ${formatCount(relays)} relayed message(s) and ${formatCount(signals)} connection signal(s) whose sender could not be proven (forged, replayed, too old or a weak ID)${limited}; nothing was answered.`
}
