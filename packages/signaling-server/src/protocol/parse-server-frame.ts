/**
 * The client's parser for what the server sends: text in, a typed `ServerFrame` or an error out.
 * The client trusts the server no more than the server trusts clients, so every field is
 * checked here too. Fields it does not know are ignored, so a later server may add some.
 * Browser-safe: no Node built-ins, never throws.
 */
import { type FrameLimits, MAX_ERROR_CODE_CHARS, MAX_ERROR_MESSAGE_CHARS } from './limits.ts'
import { SignalingErrorCode } from './error-codes.ts'
import { NODE_ID_BYTES, NONCE_BYTES, type NodeIdHex, type ParseResult, type ServerFrame } from './frames.ts'
import { checkJsonObject, field, isHex, isRecord, utf8Length } from './json.ts'

type Result = ParseResult<ServerFrame>

export function parseServerFrame(raw: string, limits: FrameLimits): Result {
  if (raw.length > limits.maxFrameBytes || utf8Length(raw) > limits.maxFrameBytes) {
    return fail(SignalingErrorCode.FRAME_TOO_LARGE, `a frame must be at most ${limits.maxFrameBytes} bytes`)
  }
  let frame: unknown
  try {
    frame = JSON.parse(raw)
  } catch {
    return fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame must be JSON')
  }
  if (!isRecord(frame)) return fail(SignalingErrorCode.MALFORMED_FRAME, 'a frame must be a JSON object')
  switch (field(frame, 'type')) {
    case 'challenge':
      return parseChallenge(frame)
    case 'registered':
      return parseRegistered(frame)
    case 'signal':
      return parseSignal(frame, limits)
    case 'peers':
      return parsePeers(frame)
    case 'error':
      return parseError(frame)
    default:
      return fail(SignalingErrorCode.UNKNOWN_FRAME_TYPE, 'unknown frame type')
  }
}

function parseChallenge(frame: Record<string, unknown>): Result {
  const nonce = field(frame, 'nonce')
  if (!isHex(nonce, NONCE_BYTES)) return invalid('nonce')
  return { ok: true, frame: { type: 'challenge', nonce } }
}

function parseRegistered(frame: Record<string, unknown>): Result {
  const id = field(frame, 'id')
  const peers = idList(field(frame, 'peers'))
  if (!isHex(id, NODE_ID_BYTES)) return invalid('id')
  if (peers === undefined) return invalid('peers')
  return { ok: true, frame: { type: 'registered', id, peers } }
}

function parseSignal(frame: Record<string, unknown>, limits: FrameLimits): Result {
  const from = field(frame, 'from')
  if (!isHex(from, NODE_ID_BYTES)) return invalid('from')
  const data = checkJsonObject(field(frame, 'data'), { maxBytes: limits.maxSignalBytes, maxDepth: limits.maxSignalDepth })
  if (!data.ok) return fail(data.code, data.message)
  return { ok: true, frame: { type: 'signal', from, data: data.value } }
}

function parsePeers(frame: Record<string, unknown>): Result {
  const peers = idList(field(frame, 'peers'))
  if (peers === undefined) return invalid('peers')
  return { ok: true, frame: { type: 'peers', peers } }
}

function parseError(frame: Record<string, unknown>): Result {
  const code = field(frame, 'code')
  const message = field(frame, 'message')
  const peer = field(frame, 'peer')
  if (typeof code !== 'string' || code.length === 0 || code.length > MAX_ERROR_CODE_CHARS) return invalid('code')
  if (typeof message !== 'string' || message.length > MAX_ERROR_MESSAGE_CHARS) return invalid('message')
  if (peer !== undefined && !isHex(peer, NODE_ID_BYTES)) return invalid('peer')
  return { ok: true, frame: peer === undefined ? { type: 'error', code, message } : { type: 'error', code, message, peer } }
}

/** An array of distinct node IDs, or undefined. Its length is bounded by the frame size. */
function idList(value: unknown): NodeIdHex[] | undefined {
  if (!Array.isArray(value)) return undefined
  const ids: NodeIdHex[] = []
  for (const item of value) {
    if (!isHex(item, NODE_ID_BYTES) || ids.includes(item)) return undefined
    ids.push(item)
  }
  return ids
}

function invalid(name: string): Result {
  return fail(SignalingErrorCode.INVALID_FIELD, `invalid field: ${name}`)
}

function fail(code: SignalingErrorCode, message: string): Result {
  return { ok: false, error: { code, message } }
}

