/**
 * Valid signaling frames of both directions (as the client and the server make them), the limits
 * worth hitting, and the checks that an accepted frame is within them, written here apart from
 * the parsers' own helpers so that the fuzzer does not trust what it tests.
 */
import { toHex } from '@browser-dht/kademlia'
import { signalData } from '@browser-dht/webrtc-transport/internals'
import { challengeMessage, DEFAULT_FRAME_LIMITS, type FrameLimits, SignalingErrorCode } from '@browser-dht/signaling-server/protocol'
import { identityFromSecretKey, sign } from '@browser-dht/identity/noble'
import type { JsonCorpus } from '../inputs/json.ts'
import type { Rng } from '../inputs/rng.ts'
import { invariant } from '../target.ts'

export const LIMITS: FrameLimits = DEFAULT_FRAME_LIMITS
const CODES = new Set<string>(Object.values(SignalingErrorCode))

/** What a tab puts in a signal's `data`: a signed signal, and the shapes simple-peer emits. */
function signalDatas(rng: Rng): object[] {
  return [
    signalData(rng.bytes(200)),
    signalData(rng.bytes(Math.floor(LIMITS.maxSignalBytes * 0.7))),
    { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' },
    { type: 'candidate', candidate: { candidate: 'candidate:1 1 UDP 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
    { a: { b: { c: { d: { e: { f: { g: 'seven deep' } } } } } } },
  ]
}

const hex = (rng: Rng, bytes: number): string => toHex(rng.bytes(bytes))

/** Client frames; signals go to each of `to` (IDs, hex). */
export function clientCorpus(rng: Rng, to: readonly string[] = [hex(rng, 20)]): JsonCorpus {
  const identity = identityFromSecretKey(rng.bytes(32))
  const signals = signalDatas(rng).flatMap((data) => to.map((id) => ({ type: 'signal', to: id, data })))
  // The protocol's registerFrame, synchronously (the corpus is made in one go).
  const register = { type: 'register', publicKey: toHex(identity.publicKey), signature: toHex(sign(identity.secretKey, challengeMessage(hex(rng, 32)))) }
  return {
    valid: [register, { type: 'peers' }, ...signals],
    limits: [{ path: [], bytes: LIMITS.maxFrameBytes }, { path: ['data'], bytes: LIMITS.maxSignalBytes, depth: LIMITS.maxSignalDepth }],
  }
}

export function serverCorpus(rng: Rng): JsonCorpus {
  const ids = (n: number): string[] => Array.from({ length: n }, () => hex(rng, 20))
  return {
    valid: [
      { type: 'challenge', nonce: hex(rng, 32) },
      { type: 'registered', id: hex(rng, 20), peers: ids(8) },
      { type: 'registered', id: hex(rng, 20), peers: [] },
      { type: 'peers', peers: ids(3) },
      { type: 'peers', peers: ids(300) },
      { type: 'error', code: SignalingErrorCode.RATE_LIMITED, message: 'too many frames; slow down' },
      { type: 'error', code: SignalingErrorCode.UNKNOWN_PEER, message: 'no such peer is registered', peer: hex(rng, 20) },
      ...signalDatas(rng).map((data) => ({ type: 'signal', from: hex(rng, 20), data })),
    ],
    limits: [{ path: [], bytes: LIMITS.maxFrameBytes }, { path: ['data'], bytes: LIMITS.maxSignalBytes, depth: LIMITS.maxSignalDepth }],
  }
}

export function isHex(value: unknown, bytes: number): boolean {
  return typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-f]*$/.test(value)
}

/** Deepest nesting of objects and arrays (a container itself is depth 1; leaves add nothing). */
function depthOf(value: unknown): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (typeof node !== 'object' || node === null) continue
    deepest = Math.max(deepest, depth)
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
  return deepest
}

/** An accepted signal's `data`: a plain object, within the depth and size limits, as sent. */
export function checkData(data: unknown, sent: unknown): void {
  invariant(typeof data === 'object' && data !== null && !Array.isArray(data), 'accepted data that is not an object')
  invariant(depthOf(data) <= LIMITS.maxSignalDepth, `accepted data ${depthOf(data)} deep`)
  const json = JSON.stringify(data)
  invariant(Buffer.byteLength(json) <= LIMITS.maxSignalBytes, `accepted data of ${Buffer.byteLength(json)} bytes`)
  invariant(json === JSON.stringify(sent), 'the data accepted is not the data sent')
}

/** A rejection's code is one of the protocol's. */
export function checkCode(code: string): string {
  invariant(CODES.has(code), `rejected with the unknown code ${code}`)
  return code
}

/** The input as the JSON value it holds, if it is JSON. */
export function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
