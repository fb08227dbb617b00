/**
 * Valid data-channel frames of every type, made with the transport's own encoders, the lengths
 * worth hitting, and what must hold of any frame `parseFrame` accepts. Shared by the frame parser
 * and the transport targets.
 */
import { compareBytes, encodeMessage, type Id, type Message } from '@browser-dht/kademlia'
import {
  byeFrame,
  ByeReason,
  dhtFrame,
  DROP_REASONS,
  type Frame,
  MAX_LISTED_NEIGHBOURS,
  neighboursFrame,
  type parseFrame,
  type PeerFactory,
  pingFrame,
  pongFrame,
  relayFrame,
  RelayKind,
  resolveOptions,
  UNDELIVERABLE_REASONS,
  undeliverableFrame,
} from '@browser-dht/webrtc-transport/internals'
import { generateIdentity } from '@browser-dht/identity/noble'
import type { ByteCorpus } from '../inputs/bytes.ts'
import type { Rng } from '../inputs/rng.ts'
import { invariant } from '../target.ts'

export interface TransportLimits {
  maxMessageBytes: number
  maxRelayBodyBytes: number
}

/** The limits a transport with default options parses with. */
export function transportLimits(): TransportLimits {
  const unused: PeerFactory = () => {
    throw new Error('no peers here')
  }
  const options = resolveOptions({ identity: generateIdentity(), peerFactory: unused, idPuzzleBits: 0 })
  return { maxMessageBytes: options.limits.maxMessageBytes, maxRelayBodyBytes: options.maxRelayBodyBytes }
}

export interface RelayBody {
  target: Id
  origin: Id
  seq: number
  kind: RelayKind
  body: Uint8Array
  /** What an authenticated body was sealed with; left out, the corpus tries 0 and seq − 1. */
  replyTo?: number
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER

/**
 * DHT frames of `messages`, heartbeats, both BYEs, an UNDELIVERABLE of every reason, NEIGHBOURS
 * lists of 0, 1 and 64 IDs, and RELAY frames of `relays` (with hop counts 0, 1, 8 and 255,
 * detoured or not, as a reply or not).
 */
export function frameCorpus(rng: Rng, messages: readonly Message[], relays: readonly RelayBody[]): ByteCorpus {
  const { maxMessageBytes, maxRelayBodyBytes } = transportLimits()
  const relayHeader = relayFrame({ ...relays[0]!, hops: 0, detoured: false, replyTo: 0, body: new Uint8Array(0) }).length
  const valid = [
    ...messages.map((message) => dhtFrame(encodeMessage(message))),
    ...[0, 1, 0xffffffff, rng.int(2 ** 32)].flatMap((nonce) => [pingFrame(nonce), pongFrame(nonce)]),
    byeFrame(ByeReason.LEAVING),
    byeFrame(ByeReason.BUDGET),
    ...UNDELIVERABLE_REASONS.map((reason, i) => undeliverableFrame(reason, { ...relays[i % relays.length]!, seq: i === 0 ? MAX_SEQ : relays[i % relays.length]!.seq })),
    ...[0, 1, MAX_LISTED_NEIGHBOURS].map((count) => neighboursFrame(Array.from({ length: count }, () => rng.bytes(20)))),
    ...relays.map((relay, i) =>
      relayFrame({ ...relay, hops: [0, 1, 8, 255][i % 4]!, detoured: i % 3 === 0, replyTo: relay.replyTo ?? (i % 2 === 0 ? 0 : relay.seq - 1) }),
    ),
  ]
  const undeliverable = valid.find((frame) => frame[0] === 0x05)!.length
  return {
    valid,
    lengths: [0, 1, 2, pingFrame(0).length, undeliverable, 2 + 20 * MAX_LISTED_NEIGHBOURS, relayHeader, 1 + maxMessageBytes, relayHeader + maxRelayBodyBytes],
  }
}

/** Relay bodies that are not authenticated: for the parser, which does not look inside. */
export function plainRelays(rng: Rng): RelayBody[] {
  const { maxRelayBodyBytes } = transportLimits()
  return [1, 100, 1200, maxRelayBodyBytes].flatMap((size, i) =>
    [RelayKind.DHT, RelayKind.SIGNAL].map((kind) => ({ target: rng.bytes(20), origin: rng.bytes(20), seq: i === 3 ? MAX_SEQ : rng.int(2 ** 40), kind, body: rng.bytes(size) })),
  )
}

const REJECTIONS = new Set<string>(DROP_REASONS)

function isPlainCopy(array: Uint8Array, input: Uint8Array): boolean {
  return Object.getPrototypeOf(array) === Uint8Array.prototype && array.buffer !== input.buffer
}

/** `frame` written again with the transport's own encoders. */
function encodeAgain(frame: Frame): Uint8Array {
  switch (frame.type) {
    case 'dht':
      return dhtFrame(frame.payload)
    case 'ping':
      return pingFrame(frame.nonce)
    case 'pong':
      return pongFrame(frame.nonce)
    case 'bye':
      return byeFrame(frame.reason)
    case 'undeliverable':
      return undeliverableFrame(frame.reason, frame)
    case 'relay':
      return relayFrame(frame)
    case 'neighbours':
      return neighboursFrame(frame.ids)
  }
}

/**
 * What must hold of `parseFrame(bytes, …)`: an accepted frame is within its bounds, encodes back
 * to exactly `bytes`, hands out payloads as plain `Uint8Array` views (never a Buffer, whose
 * `slice` would not copy) and IDs as copies; a rejection is a known drop reason. Returns the
 * outcome: `ok` or the reason.
 */
export function checkFrame(bytes: Uint8Array, result: ReturnType<typeof parseFrame>, limits: TransportLimits): string {
  if (!result.ok) {
    invariant(REJECTIONS.has(result.reason), `rejected with the unknown reason ${String(result.reason)}`)
    return result.reason
  }
  const { frame } = result
  if (frame.type === 'dht') {
    invariant(frame.payload.length <= limits.maxMessageBytes, 'a DHT payload over maxMessageBytes')
    invariant(Object.getPrototypeOf(frame.payload) === Uint8Array.prototype, 'a DHT payload that is not a plain Uint8Array')
  }
  if (frame.type === 'relay') {
    invariant(frame.body.length >= 1 && frame.body.length <= limits.maxRelayBodyBytes, `a relay body of ${frame.body.length} bytes`)
    invariant(Object.getPrototypeOf(frame.body) === Uint8Array.prototype, 'a relay body that is not a plain Uint8Array')
    invariant(Number.isSafeInteger(frame.replyTo), 'a replyTo beyond 2^53')
  }
  if (frame.type === 'relay' || frame.type === 'undeliverable') {
    invariant(isPlainCopy(frame.target, bytes) && isPlainCopy(frame.origin, bytes), `${frame.type} IDs that are not copies`)
    invariant(Number.isSafeInteger(frame.seq), 'a seq beyond 2^53')
  }
  if (frame.type === 'neighbours') {
    invariant(frame.ids.length <= MAX_LISTED_NEIGHBOURS, `a list of ${frame.ids.length} IDs`)
    invariant(frame.ids.every((id) => id.length === 20 && isPlainCopy(id, bytes)), 'listed IDs that are not 20-byte copies')
  }
  invariant(compareBytes(encodeAgain(frame), bytes) === 0, `a ${frame.type} frame does not encode back to the bytes it was read from`)
  return 'ok'
}
