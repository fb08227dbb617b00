/**
 * Reading and writing the wire's integers and byte strings. The `Reader` throws a typed
 * ERR_MALFORMED_MESSAGE on anything short; the parsers that use it (codec.ts, record-codec.ts)
 * catch that and never let it escape. Integers are big-endian and unsigned.
 */
import { DhtError, ErrorCode } from '../errors.ts'

export function malformed(detail: string): DhtError {
  return new DhtError(ErrorCode.MALFORMED_MESSAGE, `malformed message: ${detail}`)
}

/** 2^32, to split a u64 into two u32 halves. */
const TWO_32 = 0x1_0000_0000

export class Reader {
  readonly view: DataView

  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) throw malformed(`truncated ${what}`)
  }

  u8(what: string): number {
    this.need(1, what)
    return this.bytes[this.at++]!
  }

  u32(what: string): number {
    this.need(4, what)
    const value = this.view.getUint32(this.at)
    this.at += 4
    return value
  }

  /** A u64 that must be a safe integer (below 2^53): a larger one is malformed. */
  u53(what: string): number {
    const high = this.u32(what)
    const low = this.u32(what)
    if (high >= 0x20_0000) throw malformed(`${what} beyond 2^53`)
    return high * TWO_32 + low
  }

  f64(what: string): number {
    this.need(8, what)
    const value = this.view.getFloat64(this.at)
    this.at += 8
    return value
  }

  /**
   * A copy, so the message buffer is not kept alive by what is stored. Made from a plain view:
   * on a Node Buffer (what Node's channels deliver) `slice` would return a view, not a copy.
   */
  copy(n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.at, n).slice()
    this.at += n
    return out
  }

  end(): void {
    if (this.at !== this.bytes.length) throw malformed(`${this.bytes.length - this.at} trailing bytes`)
  }
}

export class Writer {
  at: number
  readonly view: DataView

  constructor(
    readonly out: Uint8Array,
    at = 0,
  ) {
    this.at = at
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  }

  u8(value: number): void {
    this.out[this.at++] = value
  }

  u32(value: number): void {
    this.view.setUint32(this.at, value >>> 0)
    this.at += 4
  }

  /** A non-negative safe integer as a u64. */
  u53(value: number): void {
    this.u32(Math.floor(value / TWO_32))
    this.u32(value % TWO_32)
  }

  f64(value: number): void {
    this.view.setFloat64(this.at, value)
    this.at += 8
  }

  raw(value: Uint8Array): void {
    this.out.set(value, this.at)
    this.at += value.length
  }
}
