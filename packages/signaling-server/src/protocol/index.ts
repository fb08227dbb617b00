/**
 * @browser-dht/signaling-server/protocol: the frames a client and this server exchange, the one
 * parser of the server's frames, the registration challenge and the error codes (PROTOCOL.md).
 * Browser-safe: the signaling client (in `@browser-dht/peer`) builds on this entry alone.
 */
export { challengeMessage, type Identity, registerFrame, signChallenge } from './challenge.ts'
export { BACK_OFF_CLOSE_CODES, BACK_OFF_ERROR_CODES, CloseCode, SignalingError, SignalingErrorCode } from './error-codes.ts'
export * from './frames.ts'
export { parseServerFrame } from './parse-server-frame.ts'
export { checkJsonObject, isHex, type JsonObject, type JsonValue } from './json.ts'
export { DEFAULT_FRAME_LIMITS, type FrameLimits } from './limits.ts'
