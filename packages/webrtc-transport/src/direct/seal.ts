/**
 * The bytes of a direct link (DIRECT.md): a two-message handshake, then every frame with a MAC.
 *
 *   HELLO   socket's dialer → listener   version u8 | token 16 | dialer's ed25519 public key 32 | tag 16
 *   WELCOME listener → socket's dialer   version u8 | tag 16
 *   frame   either way, afterwards       tag 16 | frame (wire/frames.ts)
 *
 *   tag = the first 16 bytes of HMAC-SHA256, under the pair's key for that direction
 *         (auth/peer-keys.ts: X25519 of the two identity keys, then HKDF), of
 *         DIRECT_DOMAIN ‖ label u8 ‖ token ‖ counter u64, followed by the frame (nothing for
 *         HELLO and WELCOME); counter = the frames already sent that way on this socket.
 *
 * The token is fresh for each connection attempt (the listener's direct offer names it), so no
 * tag of one connection is valid on another; the counter makes each frame's tag valid once and in
 * order, so a frame cannot be dropped, replayed, reordered or moved to the other direction
 * unnoticed. Only the two key holders can compute a tag: a frame that does not check closes the
 * socket. Frames are not encrypted: DIRECT.md says what an observer on the path sees.
 */
import { PUBLIC_KEY_BYTES } from '@browser-dht/identity'
import { type KeyedMac, sameTag } from '../auth/mac.ts'
import type { MacKeys } from '../auth/peer-keys.ts'
import { MAC_TAG_BYTES } from '../auth/relay-seal.ts'
import { writeU64 } from '../wire/frames.ts'

export const DIRECT_VERSION = 1
export const TOKEN_BYTES = 16
export const HELLO_BYTES = 1 + TOKEN_BYTES + PUBLIC_KEY_BYTES + MAC_TAG_BYTES
export const WELCOME_BYTES = 1 + MAC_TAG_BYTES
/** Prefixed to what is MAC'd, so a tag means nothing in any other protocol. */
export const DIRECT_DOMAIN = 'browser-dht/direct/v1\n'

const DOMAIN_BYTES = new TextEncoder().encode(DIRECT_DOMAIN)
const NOTHING = new Uint8Array(0)
const Label = { HELLO: 1, WELCOME: 2, FRAME: 3 } as const

function tagOf(key: KeyedMac, label: number, token: Uint8Array, counter: number, message: Uint8Array): Uint8Array {
  const header = new Uint8Array(DOMAIN_BYTES.length + 1 + TOKEN_BYTES + 8)
  header.set(DOMAIN_BYTES)
  header[DOMAIN_BYTES.length] = label
  header.set(token, DOMAIN_BYTES.length + 1)
  writeU64(new DataView(header.buffer), header.length - 8, counter)
  return key.tag(header, message).subarray(0, MAC_TAG_BYTES)
}

export interface Hello {
  token: Uint8Array
  publicKey: Uint8Array
  tag: Uint8Array
}

export function helloBytes(token: Uint8Array, publicKey: Uint8Array, keys: MacKeys): Uint8Array {
  const out = new Uint8Array(HELLO_BYTES)
  out[0] = DIRECT_VERSION
  out.set(token, 1)
  out.set(publicKey, 1 + TOKEN_BYTES)
  out.set(tagOf(keys.send, Label.HELLO, token, 0, NOTHING), 1 + TOKEN_BYTES + PUBLIC_KEY_BYTES)
  return out
}

/** The one reader of a HELLO: its fields, or undefined when it is not one. */
export function parseHello(bytes: Uint8Array): Hello | undefined {
  if (bytes.length !== HELLO_BYTES || bytes[0] !== DIRECT_VERSION) return undefined
  const keyAt = 1 + TOKEN_BYTES
  return {
    token: bytes.slice(1, keyAt),
    publicKey: bytes.slice(keyAt, keyAt + PUBLIC_KEY_BYTES),
    tag: bytes.slice(keyAt + PUBLIC_KEY_BYTES),
  }
}

/** Whether the HELLO's tag is the remote's, under the pair's keys. */
export function helloValid(hello: Hello, keys: MacKeys): boolean {
  return sameTag(hello.tag, tagOf(keys.receive, Label.HELLO, hello.token, 0, NOTHING))
}

export function welcomeBytes(token: Uint8Array, keys: MacKeys): Uint8Array {
  const out = new Uint8Array(WELCOME_BYTES)
  out[0] = DIRECT_VERSION
  out.set(tagOf(keys.send, Label.WELCOME, token, 0, NOTHING), 1)
  return out
}

/** The one reader of a WELCOME: true when it is one, tagged by the remote for `token`. */
export function welcomeValid(bytes: Uint8Array, token: Uint8Array, keys: MacKeys): boolean {
  if (bytes.length !== WELCOME_BYTES || bytes[0] !== DIRECT_VERSION) return false
  return sameTag(bytes.subarray(1), tagOf(keys.receive, Label.WELCOME, token, 0, NOTHING))
}

/** Tags this side's frames and checks the remote's, each direction counting its own. */
export class FrameSeal {
  readonly #token: Uint8Array
  readonly #keys: MacKeys
  #sent = 0
  #received = 0

  constructor(token: Uint8Array, keys: MacKeys) {
    this.#token = token
    this.#keys = keys
  }

  seal(frame: Uint8Array): Uint8Array {
    const out = new Uint8Array(MAC_TAG_BYTES + frame.length)
    out.set(tagOf(this.#keys.send, Label.FRAME, this.#token, this.#sent++, frame))
    out.set(frame, MAC_TAG_BYTES)
    return out
  }

  /** The frame inside `bytes`, or undefined when its tag is not the next one from the remote. */
  open(bytes: Uint8Array): Uint8Array | undefined {
    if (bytes.length <= MAC_TAG_BYTES) return undefined
    const frame = bytes.subarray(MAC_TAG_BYTES)
    if (!sameTag(bytes.subarray(0, MAC_TAG_BYTES), tagOf(this.#keys.receive, Label.FRAME, this.#token, this.#received, frame))) return undefined
    this.#received++
    return frame
  }
}
