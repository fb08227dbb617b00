/**
 * The signaling frames, both directions. Every frame is one JSON text WebSocket message: an
 * object whose `type` names it. IDs, keys, nonces and signatures are lowercase hex. The shapes
 * and the handshake are described in PROTOCOL.md; the parsers (`parse-client-frame.ts`,
 * `parse-server-frame.ts`) are the only code that turns outside bytes into these types.
 */
import type { SignalingErrorCode } from './error-codes.ts'
import type { JsonObject } from './json.ts'

/** The prefix of the signed registration message; the challenge nonce (hex) follows it. */
export const CHALLENGE_DOMAIN = 'browser-dht/signaling/v1:'

/** Byte lengths of the hex fields. */
export const NONCE_BYTES = 32
export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const NODE_ID_BYTES = 20

/** A node ID as 40 lowercase hex digits: the SHA-1 of the node's ed25519 public key. */
export type NodeIdHex = string

/** What one peer hands another through the server: offer, answer or ICE candidate. Opaque here. */
export type SignalData = JsonObject

// ---- client → server ----

export interface RegisterFrame {
  readonly type: 'register'
  /** The node's 32-byte ed25519 public key. */
  readonly publicKey: string
  /** Ed25519 signature over `CHALLENGE_DOMAIN + nonce` (UTF-8), 64 bytes. */
  readonly signature: string
}

export interface SignalRequestFrame {
  readonly type: 'signal'
  readonly to: NodeIdHex
  readonly data: SignalData
}

export interface PeersRequestFrame {
  readonly type: 'peers'
}

export type ClientFrame = RegisterFrame | SignalRequestFrame | PeersRequestFrame

// ---- server → client ----

export interface ChallengeFrame {
  readonly type: 'challenge'
  readonly nonce: string
}

export interface RegisteredFrame {
  readonly type: 'registered'
  /** The ID the server derived from the public key. */
  readonly id: NodeIdHex
  readonly peers: readonly NodeIdHex[]
}

export interface SignalFrame {
  readonly type: 'signal'
  /** Set by the server to the sender's registered ID; no client can choose it. */
  readonly from: NodeIdHex
  readonly data: SignalData
}

export interface PeersFrame {
  readonly type: 'peers'
  readonly peers: readonly NodeIdHex[]
}

export interface ErrorFrame {
  readonly type: 'error'
  /** A `SignalingErrorCode`; clients must tolerate codes they do not know. */
  readonly code: SignalingErrorCode | string
  readonly message: string
  /** With ERR_UNKNOWN_PEER and ERR_PEER_BUSY: the `to` of the dropped signal. */
  readonly peer?: NodeIdHex
}

export type ServerFrame = ChallengeFrame | RegisteredFrame | SignalFrame | PeersFrame | ErrorFrame

/** What a parser returns: a typed frame, or an error with the code to send back. */
export type ParseResult<T> =
  | { readonly ok: true; readonly frame: T }
  | { readonly ok: false; readonly error: { readonly code: SignalingErrorCode; readonly message: string } }
