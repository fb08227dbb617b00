/**
 * Byte inputs for binary parsers: uniformly random bytes of interesting lengths, and mutations of
 * valid frames (libFuzzer's and AFL's usual moves: bit flips, byte and word overwrites with
 * boundary values, insertions, deletions, truncation, extension, splicing two valid frames).
 */
import { concatBytes } from '@browser-dht/kademlia'
import type { Rng } from './rng.ts'

export interface ByteCorpus {
  /** Valid frames of the format, made with the project's own encoders. */
  readonly valid: readonly Uint8Array[]
  /** Lengths worth hitting exactly: fixed frame sizes and every limit (each is also tried ±1). */
  readonly lengths: readonly number[]
}

/** Values a length, count or type field is most likely to mishandle. */
const U8_EDGES = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]
const U32_EDGES = [0, 1, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
/** The high halves of u64 fields: around 2^53 (the largest safe integer) and 2^64. */
const U64_HIGH_EDGES = [0, 1, 0x1fffff, 0x200000, 0x7fffffff, 0xffffffff]

export class ByteInputs {
  readonly #rng: Rng
  readonly #corpus: ByteCorpus
  readonly #longest: number

  constructor(rng: Rng, corpus: ByteCorpus) {
    if (corpus.valid.length === 0) throw new RangeError('a byte corpus needs at least one valid frame')
    this.#rng = rng
    this.#corpus = corpus
    this.#longest = Math.max(...corpus.lengths, ...corpus.valid.map((frame) => frame.length))
  }

  /** One input: a quarter uniformly random, three quarters a mutated valid frame. */
  next(): Uint8Array {
    return this.#rng.chance(0.25) ? this.random() : this.mutated()
  }

  /** Random bytes of a random length; sometimes behind a valid frame's first byte (its type). */
  random(): Uint8Array {
    const out = this.#rng.bytes(this.#length())
    if (out.length > 0 && this.#rng.chance(0.5)) out[0] = this.#rng.pick(this.#corpus.valid)[0] ?? 0
    return out
  }

  /** A valid frame with one to four mutations stacked. */
  mutated(): Uint8Array {
    let frame: Uint8Array = Uint8Array.from(this.#rng.pick(this.#corpus.valid))
    const count = 1 + this.#rng.int(4)
    for (let i = 0; i < count; i++) frame = this.#mutate(frame)
    return frame
  }

  #length(): number {
    const rng = this.#rng
    const roll = rng.float()
    if (roll < 0.3) return Math.max(0, rng.pick(this.#corpus.lengths) + rng.between(-1, 1))
    if (roll < 0.75) return rng.int(65)
    return rng.int(this.#longest + 17)
  }

  #mutate(frame: Uint8Array): Uint8Array {
    const rng = this.#rng
    const at = rng.int(frame.length + 1)
    switch (rng.int(10)) {
      case 0:
        return flipBit(frame, rng)
      case 1:
        return setAt(frame, at, Uint8Array.of(rng.chance(0.5) ? rng.pick(U8_EDGES) : rng.int(256)))
      case 2:
        return setAt(frame, at, u32(rng.chance(0.8) ? rng.pick(U32_EDGES) : frame.length + rng.between(-2, 2)))
      case 3:
        return setAt(frame, at, Uint8Array.from([...u32(rng.pick(U64_HIGH_EDGES)), ...u32(rng.pick(U32_EDGES))]))
      case 4:
        return concat(frame.subarray(0, at), rng.bytes(1 + rng.int(16)), frame.subarray(at))
      case 5:
        return concat(frame.subarray(0, at), frame.subarray(Math.min(frame.length, at + 1 + rng.int(16))))
      case 6:
        return frame.subarray(0, rng.int(frame.length + 1))
      case 7:
        return this.#extend(frame)
      case 8: {
        const other = rng.pick(this.#corpus.valid)
        return concat(frame.subarray(0, at), other.subarray(rng.int(other.length + 1)))
      }
      default: {
        const from = rng.int(frame.length + 1)
        return concat(frame.subarray(0, at), frame.subarray(from, from + 1 + rng.int(32)), frame.subarray(at))
      }
    }
  }

  /** A few random bytes appended, or (one time in four) enough to reach a limit, ±1. */
  #extend(frame: Uint8Array): Uint8Array {
    const rng = this.#rng
    const wanted = rng.chance(0.25) ? rng.pick(this.#corpus.lengths) + rng.between(-1, 1) : frame.length + 1 + rng.int(64)
    return wanted <= frame.length ? frame : concat(frame, rng.bytes(wanted - frame.length))
  }
}

function flipBit(frame: Uint8Array, rng: Rng): Uint8Array {
  if (frame.length > 0) frame[rng.int(frame.length)]! ^= 1 << rng.int(8)
  return frame
}

/** `frame` with `bytes` written at `at` (growing it if they run past its end). */
function setAt(frame: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  const out = at + bytes.length <= frame.length ? frame : concat(frame, new Uint8Array(at + bytes.length - frame.length))
  out.set(bytes, at)
  return out
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value >>> 0)
  return out
}

/** The core's `concatBytes`. */
export const concat = concatBytes

/**
 * `bytes` as the channel might hand them over: a plain array, a Node Buffer (what simple-peer
 * delivers in Node), or a view at an offset into a larger buffer, so parsers that read through
 * `byteOffset` or copy with `slice` are tested against each.
 */
export function shaped(bytes: Uint8Array, rng: Rng): Uint8Array {
  const roll = rng.int(4)
  if (roll === 0) return Buffer.from(bytes)
  if (roll === 1) {
    const pad = 1 + rng.int(15)
    const host = rng.bytes(bytes.length + 2 * pad)
    host.set(bytes, pad)
    return host.subarray(pad, pad + bytes.length)
  }
  return bytes
}
