/**
 * What a malicious tab can put on its own data channel: any frame, with any origin, any hop
 * count, any sequence number, forged or replayed bodies. Tests write these with `FakePeer.send`
 * on the attacker's channel, past its transport, exactly as a modified tab would.
 */
import { encodeMessage, type Id, type Message } from '@browser-dht/kademlia'
import { AuthMode, MAC_TAG_BYTES } from '../../src/auth/relay-seal.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../../src/signaling/identity.ts'
import { parseFrame, type RelayFrame, relayFrame, RelayKind } from '../../src/wire/frames.ts'

/** A DHT relay body claiming `publicKey` with a tag that is not a valid signature or MAC. */
export function forgedBody(publicKey: Uint8Array, message: Message, mode: AuthMode = AuthMode.SIGNATURE): Uint8Array {
  const encoded = encodeMessage(message)
  const tagBytes = mode === AuthMode.SIGNATURE ? SIGNATURE_BYTES : MAC_TAG_BYTES
  const body = new Uint8Array(1 + PUBLIC_KEY_BYTES + tagBytes + encoded.length)
  body[0] = mode
  body.set(publicKey, 1)
  body.fill(0x5a, 1 + PUBLIC_KEY_BYTES, 1 + PUBLIC_KEY_BYTES + tagBytes)
  body.set(encoded, 1 + PUBLIC_KEY_BYTES + tagBytes)
  return body
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
