/**
 * The signal envelope: what one transport sends another through the `Signaler` to set up a
 * connection. Every envelope names the connection attempt (`session`, chosen at random by the
 * dialer) so that late signals of an abandoned attempt never reach a newer one.
 *
 *   offer / answer  { v: 1, session, kind, sdp }
 *   offer           { ..., first: true }   the dialer has no other connection (it is entering the
 *                                          network): a full callee makes room for it (README, budget)
 *   candidate       { v: 1, session, kind: 'candidate', candidate, sdpMid, sdpMLineIndex }
 *   refuse          { v: 1, session, kind: 'refuse' }   the callee's connection budget is full
 *   direct          { v: 1, session, kind: 'direct', url, token, first? }   instead of an offer, from a
 *                                          node that listens for direct links: dial `url` and prove
 *                                          `token` (direct/DIRECT.md)
 *   direct-no       { v: 1, session, kind: 'direct-no' }   the callee cannot dial it (a tab, a
 *                                          refused URL, a failed dial): send a WebRTC offer instead
 *
 * `parseSignal` is the one function that reads an envelope from outside.
 */
import { TransportError, TransportErrorCode } from '../errors.ts'

export const SIGNAL_VERSION = 1

/** Longest `sdpMid` accepted (browsers use "0"; the spec allows a short token). */
const MAX_MID_CHARS = 32
/** Longest direct-link URL accepted (`wss://` and an IPv4 address with a port fit in 28). */
export const MAX_DIRECT_URL_CHARS = 64
/** A direct offer's token: 16 bytes in hex. */
const TOKEN_PATTERN = /^[0-9a-f]{32}$/

export type SignalEnvelope =
  | { v: typeof SIGNAL_VERSION; session: number; kind: 'offer'; sdp: string; first?: true }
  | { v: typeof SIGNAL_VERSION; session: number; kind: 'answer'; sdp: string }
  | {
      v: typeof SIGNAL_VERSION
      session: number
      kind: 'candidate'
      candidate: string
      sdpMid: string | null
      sdpMLineIndex: number | null
    }
  | { v: typeof SIGNAL_VERSION; session: number; kind: 'refuse' | 'direct-no' }
  | { v: typeof SIGNAL_VERSION; session: number; kind: 'direct'; url: string; token: string; first?: true }

export type ParseSignalResult = { ok: true; signal: SignalEnvelope } | { ok: false; error: TransportError }

function bad(detail: string): TransportError {
  return new TransportError(TransportErrorCode.BAD_SIGNAL, `bad signal: ${detail}`)
}

function text(value: unknown, field: string, maxChars: number): string {
  if (typeof value !== 'string') throw bad(`${field} is not a string`)
  if (value.length > maxChars) {
    throw new TransportError(TransportErrorCode.SIGNAL_TOO_LARGE, `${field} of ${value.length} chars exceeds ${maxChars}`)
  }
  return value
}

function sdpMid(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return text(value, 'sdpMid', MAX_MID_CHARS)
}

function sdpMLineIndex(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) throw bad('sdpMLineIndex')
  return value
}

function parseFields(raw: Record<string, unknown>, maxSignalBytes: number): SignalEnvelope {
  if (raw.v !== SIGNAL_VERSION) throw bad(`version ${String(raw.v)} is not ${SIGNAL_VERSION}`)
  const session = raw.session
  if (typeof session !== 'number' || !Number.isInteger(session) || session < 0 || session > 0xffffffff) {
    throw bad('session is not a u32')
  }
  const v = SIGNAL_VERSION
  switch (raw.kind) {
    case 'offer':
    case 'answer': {
      const sdp = text(raw.sdp, 'sdp', maxSignalBytes)
      if (raw.kind === 'answer') return { v, session, kind: 'answer', sdp }
      return raw.first === true ? { v, session, kind: 'offer', sdp, first: true } : { v, session, kind: 'offer', sdp }
    }
    case 'candidate':
      return {
        v,
        session,
        kind: 'candidate',
        candidate: text(raw.candidate, 'candidate', maxSignalBytes),
        sdpMid: sdpMid(raw.sdpMid),
        sdpMLineIndex: sdpMLineIndex(raw.sdpMLineIndex),
      }
    case 'refuse':
    case 'direct-no':
      return { v, session, kind: raw.kind }
    case 'direct': {
      const url = text(raw.url, 'url', MAX_DIRECT_URL_CHARS)
      const token = text(raw.token, 'token', 32)
      if (!TOKEN_PATTERN.test(token)) throw bad('token is not 32 hex digits')
      return raw.first === true ? { v, session, kind: 'direct', url, token, first: true } : { v, session, kind: 'direct', url, token }
    }
    default:
      throw bad(`unknown kind ${JSON.stringify(raw.kind)?.slice(0, 40)}`)
  }
}

/** Turns untrusted input into a typed envelope (a fresh object with known fields only) or a typed error. */
export function parseSignal(raw: unknown, maxSignalBytes: number): ParseSignalResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: bad('not an object') }
  try {
    return { ok: true, signal: parseFields(raw as Record<string, unknown>, maxSignalBytes) }
  } catch (error) {
    if (error instanceof TransportError) return { ok: false, error }
    return { ok: false, error: bad(String(error)) }
  }
}

/**
 * Wraps what simple-peer emitted as a `signal` event. Offers, answers and candidates become
 * envelopes; anything else (renegotiation and transceiver requests, which a data-only peer does
 * not need) gives undefined.
 */
export function envelopeOf(session: number, data: unknown): SignalEnvelope | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const d = data as { type?: unknown; sdp?: unknown; candidate?: unknown }
  const v = SIGNAL_VERSION
  if ((d.type === 'offer' || d.type === 'answer') && typeof d.sdp === 'string') {
    return { v, session, kind: d.type, sdp: d.sdp }
  }
  if (d.type === 'candidate' && typeof d.candidate === 'object' && d.candidate !== null) {
    const c = d.candidate as { candidate?: unknown; sdpMid?: unknown; sdpMLineIndex?: unknown }
    if (typeof c.candidate !== 'string') return undefined
    return {
      v,
      session,
      kind: 'candidate',
      candidate: c.candidate,
      sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
      sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null,
    }
  }
  return undefined
}

/** An SDP without its `a=candidate:` and `a=end-of-candidates` lines (they follow by trickle). */
export function withoutCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('a=candidate:') && !line.startsWith('a=end-of-candidates'))
    .join('\r\n')
}
