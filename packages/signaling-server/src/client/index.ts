/**
 * @browser-dht/signaling-server/client: what a browser tab needs to join through the signaling
 * server. Browser-safe: nothing here imports Node built-ins.
 */
export {
  ClientErrorCode,
  SignalingClient,
  type SignalingClientEvents,
  type SignalingClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './signaling-client.ts'
export {
  challengeMessage,
  type ChallengeAnswer,
  generateIdentity,
  type Identity,
  identityFromSecretKey,
  idFromPublicKey,
  registerFrame,
  signChallenge,
  verifyChallenge,
} from '../identity.ts'
export { ClientSignaler, type SignalPayload, type SignalReceiver } from './client-signaler.ts'
export { Entry, type EntryOptions } from './entry.ts'
export { DEFAULT_MAX_RETRY_MS, SignalingLink, type SignalingLinkOptions, type SignalingState } from './signaling-link.ts'
export { BACK_OFF_CLOSE_CODES, BACK_OFF_ERROR_CODES, CloseCode, SignalingError, SignalingErrorCode } from '../protocol/error-codes.ts'
export * from '../protocol/frames.ts'
export { parseServerFrame } from '../protocol/parse-server-frame.ts'
export type { JsonObject, JsonValue } from '../protocol/json.ts'
export { DEFAULT_FRAME_LIMITS, type FrameLimits } from '../options.ts'
