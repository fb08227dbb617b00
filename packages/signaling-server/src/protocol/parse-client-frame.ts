/**
 * The one parser for what clients send. Raw WebSocket text (string or UTF-8 bytes) in; a typed
 * `ClientFrame` or an error code out. Every field is type- and length-checked; unknown fields
 * are an error; nothing is cast. Pure and total: it never throws, whatever the input.
 */
import type { FrameLimits } from './limits.ts'
import { SignalingErrorCode } from './error-codes.ts'
import {
  type ClientFrame,
  NODE_ID_BYTES,
  type ParseResult,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
} from './frames.ts'
import { checkJsonObject, extraKey, field, isHex, isRecord, utf8Length } from './json.ts'

type Result = ParseResult<ClientFrame>

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function parseClientFrame(raw: string | Uint8Array, limits: FrameLimits): Result {
  const text = decodeText(raw, limits.maxFrameBytes)
  if (typeof text !== 'string') return text
  const json = parseJson(text)
  if (!json.ok) return json.result
  const frame = json.value
  if (!isRecord(frame)) return fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame must be a JSON object')
  const type = field(frame, 'type')
  if (typeof type !== 'string') return fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame needs a string "type"')
  switch (type) {
    case 'register':
      return parseRegister(frame)
    case 'signal':
      return parseSignal(frame, limits)
    case 'peers':
      return only(frame, ['type']) ?? { ok: true, frame: { type: 'peers' } }
    default:
      return fail(SignalingErrorCode.UNKNOWN_FRAME_TYPE, 'unknown frame type')
  }
}

function parseRegister(frame: Record<string, unknown>): Result {
  const extra = only(frame, ['type', 'publicKey', 'signature'])
  if (extra) return extra
  const publicKey = field(frame, 'publicKey')
  const signature = field(frame, 'signature')
  if (!isHex(publicKey, PUBLIC_KEY_BYTES)) {
    return fail(SignalingErrorCode.INVALID_FIELD, `publicKey must be ${PUBLIC_KEY_BYTES * 2} lowercase hex digits`)
  }
  if (!isHex(signature, SIGNATURE_BYTES)) {
    return fail(SignalingErrorCode.INVALID_FIELD, `signature must be ${SIGNATURE_BYTES * 2} lowercase hex digits`)
  }
  return { ok: true, frame: { type: 'register', publicKey, signature } }
}

function parseSignal(frame: Record<string, unknown>, limits: FrameLimits): Result {
  const extra = only(frame, ['type', 'to', 'data'])
  if (extra) return extra
  const to = field(frame, 'to')
  if (!isHex(to, NODE_ID_BYTES)) {
    return fail(SignalingErrorCode.INVALID_FIELD, `to must be ${NODE_ID_BYTES * 2} lowercase hex digits`)
  }
  const data = checkJsonObject(field(frame, 'data'), { maxBytes: limits.maxSignalBytes, maxDepth: limits.maxSignalDepth })
  if (!data.ok) return fail(data.code, data.message)
  return { ok: true, frame: { type: 'signal', to, data: data.value } }
}

/** Size-checks, then decodes bytes as strict UTF-8; a failure is returned as a Result. */
function decodeText(raw: string | Uint8Array, maxBytes: number): string | Result {
  if (typeof raw === 'string') {
    // A string of n code units is at least n UTF-8 bytes: reject huge input before measuring.
    if (raw.length > maxBytes || utf8Length(raw) > maxBytes) return tooLarge(maxBytes)
    return raw
  }
  if (raw.byteLength > maxBytes) return tooLarge(maxBytes)
  try {
    return utf8.decode(raw)
  } catch {
    return fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame must be UTF-8 text')
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; result: Result } {
  try {
    const value: unknown = JSON.parse(text)
    return { ok: true, value }
  } catch {
    return { ok: false, result: fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame must be JSON') }
  }
}

function only(frame: Record<string, unknown>, allowed: readonly string[]): Result | undefined {
  const extra = extraKey(frame, allowed)
  return extra === undefined ? undefined : fail(SignalingErrorCode.INVALID_FIELD, `field not allowed: ${extra.slice(0, 40)}`)
}

function tooLarge(maxBytes: number): Result {
  return fail(SignalingErrorCode.FRAME_TOO_LARGE, `a frame must be at most ${maxBytes} bytes`)
}

function fail(code: SignalingErrorCode, message: string): Result {
  return { ok: false, error: { code, message } }
}
