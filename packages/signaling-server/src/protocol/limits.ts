/**
 * The bounds of the protocol's frames, shared by the server's parser and the browser client's,
 * with their defaults (the server takes other values as tunables: options.ts).
 */

/** Bounds the frame parsers enforce (both directions). */
export interface FrameLimits {
  /**
   * Largest frame the server reads and answers with `ERR_FRAME_TOO_LARGE` rather than a close
   * (UTF-8 bytes). Default 16 KiB.
   */
  readonly maxFrameBytes: number
  /** Largest `data` of a signal, as UTF-8 bytes of its JSON. Default 8 KiB (an SDP offer is ~1–4 KiB). */
  readonly maxSignalBytes: number
  /** Deepest nesting of objects/arrays in a signal's `data` (the object itself is depth 1). Default 8. */
  readonly maxSignalDepth: number
}

/** The frame limits with their defaults, for the parsers. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = Object.freeze({
  maxFrameBytes: 16 * 1024,
  maxSignalBytes: 8 * 1024,
  maxSignalDepth: 8,
})

/** Longest `code` and `message` of an error frame the client parser accepts (fixed by the protocol). */
export const MAX_ERROR_CODE_CHARS = 64
export const MAX_ERROR_MESSAGE_CHARS = 500
