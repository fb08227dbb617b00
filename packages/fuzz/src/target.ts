/**
 * What a fuzz target is: one parser or handler that takes bytes from a peer or a client, with
 * whatever it needs around it (a started node, two connected transports, a server), and the
 * inputs it is fed. Like libFuzzer's `LLVMFuzzerTestOneInput`, a session's `feed` makes one input
 * and hands it over; anything thrown out of the code under test escapes it, and the runner counts
 * it. A target states what must hold of every accepted input (an invariant) and of the whole run
 * (liveness, bounds); a broken one counts as escaped too.
 */

export interface FuzzTarget {
  /** Short name, shown in the table. */
  readonly name: string
  /** What is fed, e.g. `decodeMessage (kademlia/src/wire/codec.ts)`. */
  readonly boundary: string
  /** Its share of the frames relative to the other targets. Default 1. */
  readonly weight?: number
  /** Builds what the target needs, with every random choice drawn from `seed`. */
  open(seed: number): Promise<FuzzSession>
}

export interface FuzzSession {
  /**
   * Makes one input and feeds it. Returns how the code under test took it (`ok`, or the reason it
   * gave for rejecting it), or undefined when the code under test counts that itself (`outcomes`).
   * Whatever the code under test throws propagates; a broken invariant throws `InvariantError`.
   */
  feed(): string | undefined | Promise<string | undefined>
  /** Called every `settleEvery` inputs: lets their effects play out (a virtual clock advances, replies arrive). */
  settle?(): Promise<void>
  readonly settleEvery?: number
  /** The last input, shortened, for the report of an escape. */
  lastInput(): string
  /** Outcomes the code under test counted itself since `open` (a transport's drop counters). */
  outcomes?(): Record<string, number>
  /** Checks what must hold after the run (the node still answers, bounds held): the violations. */
  finish(): Promise<string[]>
  /** Releases sockets and timers. */
  close(): Promise<void>
}

export class InvariantError extends Error {
  override name = 'InvariantError'
}

/** Throws `InvariantError` with `message` unless `condition` holds. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message)
}

/** Up to `max` bytes as hex, with the full length. */
export function showBytes(bytes: Uint8Array, max = 48): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString('hex')
  return `${bytes.length} bytes: ${hex}${bytes.length > max ? '…' : ''}`
}

/** Up to `max` characters of a text input, with its full length. */
export function showText(text: string, max = 120): string {
  return `${text.length} chars: ${JSON.stringify(text.slice(0, max))}${text.length > max ? '…' : ''}`
}
