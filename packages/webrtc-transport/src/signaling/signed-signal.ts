/**
 * Signed signals: how an offer, answer, ICE candidate or refusal travels between two nodes, through
 * a signaling server or through any number of overlay relays, without any of them being able to
 * forge, alter or replay it.
 *
 *   offset  bytes  field
 *   0       1      version (3)
 *   1       32     sender's ed25519 public key (the sender's node ID is its SHA-1)
 *   33      20     recipient's node ID
 *   53      8      seq: the sender's sequence number (u64, µs since 1970 by its clock, rising;
 *                  auth/sequencer.ts), which also dates the signal
 *   61      n      body: the UTF-8 JSON of a `SignalEnvelope` (v1: session, kind, sdp / candidate)
 *   61+n    64     ed25519 signature of SIGNED_DOMAIN followed by bytes 0 .. 61+n
 *
 * The recipient accepts a signal only if, checked in this order (everything before the signature
 * costs microseconds, so junk costs no public-key operation): it is well formed and addressed to
 * it, dated within `maxAuthAgeMs` of its clock, signed under a key whose SHA-1 is the sender the
 * carrier named (the relay's origin, the server's `from`), that ID solves the ID puzzle, the
 * envelope parses, its seq was not seen from that sender (per-sender `ReplayWindows`), the
 * carrier's budget of signature checks has a token, and the signature verifies. The SDP inside
 * carries the sender's DTLS fingerprint, so the data channel that results can only be completed
 * by the holder of the signing key's certificate: the connection is bound to the ID that signed it.
 *
 * Through a signaling server the bytes go base64-encoded inside `{ v: 3, signed }` (`SignalData`).
 * `openSignal` is the one function that reads a signed signal from outside.
 */
import { type Id, ID_BYTES, idEquals, idKey, keyOf, meetsIdPuzzle } from '@browser-dht/kademlia'
import type { ReplayWindows } from '../auth/replay.ts'
import { seqTimeMs } from '../auth/sequencer.ts'
import type { AuthSuite } from '../auth/suite.ts'
import { readU64, writeU64 } from '../wire/frames.ts'
import { type NodeIdentity, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '@browser-dht/identity'
import { parseSignal, type SignalEnvelope } from './signal.ts'

export const SIGNED_VERSION = 3
/** Prefixed to what is signed, so a signal signature is worthless in any other protocol. */
export const SIGNED_DOMAIN = 'browser-dht/signal/v3\n'
const HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + ID_BYTES + 8
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
  publicKey: Uint8Array
  seq: number
  signal: SignalEnvelope
}

/** Why a signed signal was not accepted, in the order the checks run. */
export const SIGNAL_REJECTIONS = [
  'malformed',
  'too-large',
  'not-for-us',
  'expired',
  'wrong-signer',
  'weak-id',
  'bad-envelope',
  'replayed',
  'rate-limited',
  'bad-signature',
] as const
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

/** Signs `signal` from `identity` (through `suite`) to node `to`, numbered `seq`. */
export async function sealSignal(identity: NodeIdentity, suite: AuthSuite, to: Id, seq: number, signal: SignalEnvelope): Promise<Uint8Array> {
  const body = encoder.encode(JSON.stringify(signal))
  const out = new Uint8Array(HEADER_BYTES + body.length + SIGNATURE_BYTES)
  out[0] = SIGNED_VERSION
  out.set(identity.publicKey, 1)
  out.set(to, 1 + PUBLIC_KEY_BYTES)
  writeU64(new DataView(out.buffer), 1 + PUBLIC_KEY_BYTES + ID_BYTES, seq)
  out.set(body, HEADER_BYTES)
  const end = HEADER_BYTES + body.length
  out.set(await suite.sign(signedMessage(out, end)), end)
  return out
}

export interface OpenContext {
  /** This node: signals to any other ID are rejected. */
  self: Id
  /** Who the carrier says sent it (a relay's origin, a server's `from`). */
  claimed: Id
  now: number
  maxSignalBytes: number
  maxAuthAgeMs: number
  idPuzzleBits: number
  replay: ReplayWindows
  suite: AuthSuite
  /** Asked for a token right before the signature check; false refuses the signal (`rate-limited`). */
  budget(): boolean
}

/**
 * Checks and opens signed bytes from outside, cheapest checks first (see above). Never rejects.
 * The replay windows admit the signal only once its signature verified, so junk cannot fill them.
 */
export async function openSignal(bytes: unknown, context: OpenContext): Promise<OpenResult> {
  if (!(bytes instanceof Uint8Array) || bytes.length < SIGNED_OVERHEAD + 2 || bytes[0] !== SIGNED_VERSION) {
    return { ok: false, reason: 'malformed' }
  }
  if (bytes.length > maxSignedBytes(context.maxSignalBytes)) return { ok: false, reason: 'too-large' }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!idEquals(bytes.subarray(1 + PUBLIC_KEY_BYTES, 1 + PUBLIC_KEY_BYTES + ID_BYTES), context.self)) return { ok: false, reason: 'not-for-us' }
  const seq = readU64(view, 1 + PUBLIC_KEY_BYTES + ID_BYTES)
  if (seq === undefined) return { ok: false, reason: 'malformed' }
  if (Math.abs(context.now - seqTimeMs(seq)) > context.maxAuthAgeMs) return { ok: false, reason: 'expired' }
  const publicKey = Uint8Array.from(bytes.subarray(1, 1 + PUBLIC_KEY_BYTES))
  const from = keyOf(publicKey)
  if (!idEquals(from, context.claimed)) return { ok: false, reason: 'wrong-signer' }
  if (!meetsIdPuzzle(from, context.idPuzzleBits)) return { ok: false, reason: 'weak-id' }
  const end = bytes.length - SIGNATURE_BYTES
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, end)))
  } catch {
    return { ok: false, reason: 'bad-envelope' }
  }
  const parsed = parseSignal(raw, context.maxSignalBytes)
  if (!parsed.ok) return { ok: false, reason: 'bad-envelope' }
  const sender = idKey(from)
  if (!context.replay.fresh(sender, seq)) return { ok: false, reason: 'replayed' }
  if (!context.budget()) return { ok: false, reason: 'rate-limited' }
  if (!(await context.suite.verify(bytes.subarray(end), signedMessage(bytes, end), publicKey))) return { ok: false, reason: 'bad-signature' }
  if (!context.replay.admit(sender, seq)) return { ok: false, reason: 'replayed' }
  return { ok: true, opened: { from, publicKey, seq, signal: parsed.signal } }
}

/** `bytes` as base64 (for `SignalData`). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/**
 * The bytes of a `SignalData` from outside, or undefined when it is not one or holds more than
 * `maxBytes`. Never throws.
 */
export function signalDataBytes(data: unknown, maxBytes: number): Uint8Array | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { v, signed } = data as { v?: unknown; signed?: unknown }
  if (v !== SIGNED_VERSION || typeof signed !== 'string' || signed.length > Math.ceil(maxBytes / 3) * 4) return undefined
  try {
    const binary = atob(signed)
    // The length check above bounds the decoding; base64 comes in groups of 3 bytes, so up to 2 more may decode.
    if (binary.length > maxBytes) return undefined
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
