/**
 * Signed signals: how an offer, answer, ICE candidate or refusal travels between two nodes, through
 * a signaling server or through any number of overlay relays, without any of them being able to
 * forge, alter or replay it.
 *
 *   offset  bytes  field
 *   0       1      version (2)
 *   1       32     sender's ed25519 public key (the sender's node ID is its SHA-1)
 *   33      20     recipient's node ID
 *   53      4      sequence number (u32, big-endian; per sender, never reused within a session)
 *   57      8      sender's clock when signing (f64 ms since the epoch, big-endian)
 *   65      n      body: the UTF-8 JSON of a `SignalEnvelope` (v1: session, kind, sdp / candidate)
 *   65+n    64     ed25519 signature of SIGNED_DOMAIN followed by bytes 0 .. 65+n
 *
 * The recipient accepts a signal only if it is addressed to it, signed by the key whose SHA-1 is
 * the sender's ID, no older (or further in the future) than `maxSignalAgeMs`, and not seen before
 * (`ReplayGuard`). The SDP inside carries the sender's DTLS fingerprint, so the data channel that
 * results can only be completed by the holder of the signing key's certificate: the connection is
 * bound to the ID that signed it.
 *
 * Through a signaling server the bytes go base64-encoded inside `{ v: 2, signed }` (`SignalData`).
 * `openSignal` is the one function that reads a signed signal from outside.
 */
import { type Id, ID_BYTES, idEquals, toHex } from '@browser-dht/kademlia'
import { BoundedMap } from '../bounded-map.ts'
import { idFromPublicKey, type NodeIdentity, PUBLIC_KEY_BYTES, sign, SIGNATURE_BYTES, verifySignature } from './identity.ts'
import { parseSignal, type SignalEnvelope } from './signal.ts'

export const SIGNED_VERSION = 2
/** Prefixed to what is signed, so a signal signature is worthless in any other protocol. */
export const SIGNED_DOMAIN = 'browser-dht/signal/v2\n'
const HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + ID_BYTES + 4 + 8
/** Bytes a signed signal adds to its JSON body. */
export const SIGNED_OVERHEAD = HEADER_BYTES + SIGNATURE_BYTES
/** Room for the JSON field names and escapes around an SDP or candidate of `maxSignalBytes`. */
const JSON_SLACK_BYTES = 512

/** Largest signed signal accepted when SDPs and candidates may be `maxSignalBytes` long. */
export function maxSignedBytes(maxSignalBytes: number): number {
  return SIGNED_OVERHEAD + maxSignalBytes + JSON_SLACK_BYTES
}

/** A signed signal as it crosses a signaling server (a JSON object). */
export interface SignalData {
  v: typeof SIGNED_VERSION
  /** The signed bytes, base64. */
  signed: string
}

export interface OpenedSignal {
  /** The signer's node ID. */
  from: Id
  sequence: number
  signal: SignalEnvelope
}

/** Why a signed signal was not accepted. */
export const SIGNAL_REJECTIONS = ['malformed', 'too-large', 'not-for-us', 'bad-signature', 'expired', 'replayed', 'bad-envelope'] as const
export type SignalRejection = (typeof SIGNAL_REJECTIONS)[number]

export type OpenResult = { ok: true; opened: OpenedSignal } | { ok: false; reason: SignalRejection }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const DOMAIN_BYTES = encoder.encode(SIGNED_DOMAIN)

function signedMessage(bytes: Uint8Array, end: number): Uint8Array {
  const message = new Uint8Array(DOMAIN_BYTES.length + end)
  message.set(DOMAIN_BYTES)
  message.set(bytes.subarray(0, end), DOMAIN_BYTES.length)
  return message
}

/** Signs `signal` from `identity` to node `to`. */
export function sealSignal(identity: NodeIdentity, to: Id, sequence: number, now: number, signal: SignalEnvelope): Uint8Array {
  const body = encoder.encode(JSON.stringify(signal))
  const out = new Uint8Array(HEADER_BYTES + body.length + SIGNATURE_BYTES)
  const view = new DataView(out.buffer)
  out[0] = SIGNED_VERSION
  out.set(identity.publicKey, 1)
  out.set(to, 1 + PUBLIC_KEY_BYTES)
  view.setUint32(1 + PUBLIC_KEY_BYTES + ID_BYTES, sequence >>> 0)
  view.setFloat64(1 + PUBLIC_KEY_BYTES + ID_BYTES + 4, now)
  out.set(body, HEADER_BYTES)
  const end = HEADER_BYTES + body.length
  out.set(sign(identity.secretKey, signedMessage(out, end)), end)
  return out
}

export interface OpenContext {
  /** This node: signals to any other ID are rejected. */
  self: Id
  now: number
  maxSignalBytes: number
  maxSignalAgeMs: number
  replay: ReplayGuard
}

/**
 * Checks and opens signed bytes from outside. Never throws. The replay guard remembers the
 * signal only when everything else checked out, so junk cannot fill it.
 */
export function openSignal(bytes: unknown, context: OpenContext): OpenResult {
  if (!(bytes instanceof Uint8Array) || bytes.length < SIGNED_OVERHEAD + 2 || bytes[0] !== SIGNED_VERSION) {
    return { ok: false, reason: 'malformed' }
  }
  if (bytes.length > maxSignedBytes(context.maxSignalBytes)) return { ok: false, reason: 'too-large' }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const publicKey = Uint8Array.from(bytes.subarray(1, 1 + PUBLIC_KEY_BYTES))
  const to = bytes.subarray(1 + PUBLIC_KEY_BYTES, 1 + PUBLIC_KEY_BYTES + ID_BYTES)
  if (!idEquals(to, context.self)) return { ok: false, reason: 'not-for-us' }
  const sequence = view.getUint32(1 + PUBLIC_KEY_BYTES + ID_BYTES)
  const signedAt = view.getFloat64(1 + PUBLIC_KEY_BYTES + ID_BYTES + 4)
  if (!Number.isFinite(signedAt) || Math.abs(context.now - signedAt) > context.maxSignalAgeMs) return { ok: false, reason: 'expired' }
  const end = bytes.length - SIGNATURE_BYTES
  if (!verifySignature(bytes.subarray(end), signedMessage(bytes, end), publicKey)) return { ok: false, reason: 'bad-signature' }
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, end)))
  } catch {
    return { ok: false, reason: 'bad-envelope' }
  }
  const parsed = parseSignal(raw, context.maxSignalBytes)
  if (!parsed.ok) return { ok: false, reason: 'bad-envelope' }
  const from = idFromPublicKey(publicKey)
  if (!context.replay.admit(from, parsed.signal.session, sequence, signedAt + context.maxSignalAgeMs, context.now)) {
    return { ok: false, reason: 'replayed' }
  }
  return { ok: true, opened: { from, sequence, signal: parsed.signal } }
}

/**
 * The signals seen recently, so each is accepted once. An entry lives until its signal would be
 * too old anyway; beyond `capacity` the oldest entries (the nearest to expiry) are forgotten.
 */
export class ReplayGuard {
  readonly #seen: BoundedMap<number>

  constructor(capacity: number) {
    this.#seen = new BoundedMap(capacity)
  }

  get size(): number {
    return this.#seen.size
  }

  /** True the first time a (sender, session, sequence) is offered before `expiresAt`. */
  admit(from: Id, session: number, sequence: number, expiresAt: number, now: number): boolean {
    const key = `${toHex(from)}:${session}:${sequence}`
    const known = this.#seen.get(key)
    if (known !== undefined && known >= now) return false
    this.#seen.remember(key, expiresAt)
    return true
  }
}

/** `bytes` as base64 (for `SignalData`). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** The bytes of a `SignalData` from outside, or undefined when it is not one. Never throws. */
export function signalDataBytes(data: unknown, maxBytes: number): Uint8Array | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { v, signed } = data as { v?: unknown; signed?: unknown }
  if (v !== SIGNED_VERSION || typeof signed !== 'string' || signed.length > Math.ceil(maxBytes / 3) * 4) return undefined
  try {
    const binary = atob(signed)
    const out = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
    return out
  } catch {
    return undefined
  }
}

/**
 * The envelope inside a `SignalData`, read without checking anything: for tests and diagnostics
 * (an in-memory hub that loses candidates on purpose), never for deciding what to trust.
 */
export function peekSignal(data: SignalData): SignalEnvelope | undefined {
  const bytes = signalDataBytes(data, Number.MAX_SAFE_INTEGER)
  if (bytes === undefined || bytes.length < SIGNED_OVERHEAD) return undefined
  try {
    const parsed = parseSignal(JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, bytes.length - SIGNATURE_BYTES))), Number.MAX_SAFE_INTEGER)
    return parsed.ok ? parsed.signal : undefined
  } catch {
    return undefined
  }
}

/** `bytes` wrapped for a signaling server. */
export function signalData(bytes: Uint8Array): SignalData {
  return { v: SIGNED_VERSION, signed: toBase64(bytes) }
}
