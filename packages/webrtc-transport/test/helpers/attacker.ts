/**
 * What a malicious tab can put on its own data channel: any frame, with any origin, any hop
 * count, any sequence number, forged or replayed bodies. Tests write these with `FakePeer.send`
 * on the attacker's channel, past its transport, exactly as a modified tab would.
 */
import { encodeMessage, type Id, type Message } from '@browser-dht/kademlia'
import { PRESENCE_BYTES } from '../../src/auth/presence.ts'
import { AuthMode, MAC_TAG_BYTES } from '../../src/auth/relay-seal.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '@browser-dht/identity'
import { parseFrame, type RelayFrame, relayFrame, RelayKind, writeU64 } from '../../src/wire/frames.ts'

/** Where the tag starts in a DHT relay body (relay-seal.ts). */
export const TAG_AT = 1 + PUBLIC_KEY_BYTES + PRESENCE_BYTES

/**
 * A DHT relay body claiming `publicKey` with a tag that is not a valid signature or MAC, and the
 * given presence (by default zeros: a presence dated 1970, which no node checks).
 */
export function forgedBody(publicKey: Uint8Array, message: Message, mode: AuthMode = AuthMode.SIGNATURE, presence: Uint8Array = new Uint8Array(PRESENCE_BYTES)): Uint8Array {
  const encoded = encodeMessage(message)
  const tagBytes = mode === AuthMode.SIGNATURE ? SIGNATURE_BYTES : MAC_TAG_BYTES
  const body = new Uint8Array(TAG_AT + tagBytes + encoded.length)
  body[0] = mode
  body.set(publicKey, 1)
  body.set(presence, 1 + PUBLIC_KEY_BYTES)
  body.fill(0x5a, TAG_AT, TAG_AT + tagBytes)
  body.set(encoded, TAG_AT + tagBytes)
  return body
}

/** The presence in a DHT relay body. */
export function presenceOf(body: Uint8Array): Uint8Array {
  return body.slice(1 + PUBLIC_KEY_BYTES, TAG_AT)
}

/** A presence dated `stamp` (ms) whose signature is junk. */
export function forgedPresence(stamp: number): Uint8Array {
  const presence = new Uint8Array(PRESENCE_BYTES).fill(0x5a)
  writeU64(new DataView(presence.buffer), 0, Math.floor(stamp))
  return presence
}

export interface ForgedRelay {
  target: Id
  origin: Id
  body: Uint8Array
  kind?: RelayKind
  /** The origin's sequence number: µs of the (victim's) clock, or it is refused as expired. */
  seq: number
  hops?: number
  replyTo?: number
}

/** A RELAY frame with whatever header the attacker likes. */
export function forgedRelay(relay: ForgedRelay): Uint8Array {
  return relayFrame({
    hops: relay.hops ?? 8,
    kind: relay.kind ?? RelayKind.DHT,
    detoured: false,
    target: relay.target,
    origin: relay.origin,
    seq: relay.seq,
    replyTo: relay.replyTo ?? 0,
    body: relay.body,
  })
}

/** The RELAY frames among raw frames a channel carried (what an on-path relay sees). */
export function relaysIn(frames: readonly Uint8Array[]): RelayFrame[] {
  const out: RelayFrame[] = []
  for (const bytes of frames) {
    const parsed = parseFrame(bytes, 1 << 20, 1 << 20)
    if (parsed.ok && parsed.frame.type === 'relay') out.push(parsed.frame)
  }
  return out
}
