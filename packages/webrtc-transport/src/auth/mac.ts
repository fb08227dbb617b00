/**
 * HMAC-SHA256 (RFC 2104) under a key fixed once per pair and direction (peer-keys.ts), for the
 * relay MAC (relay-seal.ts). The key's inner and outer pads are hashed once, when the key is
 * made; each tag then costs the message's blocks and one more.
 *
 * Two engines give the same tags:
 * - 'wasm': SHA-256's compression in WebAssembly (sha256.wat), at full speed from the first call.
 *   A tab relays a few messages a second, too few for the JavaScript engine to optimize a hash
 *   written in JavaScript: there noble's HMAC costs about six times this engine's, four times per
 *   relayed request and answer (`npm run bench:mac`: 32.8 against 5.4 µs over the first calls).
 * - 'noble': @noble/hashes, where WebAssembly is missing or a page's Content Security Policy
 *   forbids compiling it (no 'wasm-unsafe-eval'); imported then, so a page that can compile the
 *   module never loads it.
 *
 * HKDF (RFC 5869) for the pair keys is two of these HMACs (`hkdfSha256`).
 */
import { SHA256_WASM_BASE64 } from './sha256-wasm.ts'

export type MacEngine = 'wasm' | 'noble'

/** HMAC-SHA256 under one key. */
export interface KeyedMac {
  /** The 32-byte HMAC of `header ‖ message` (two parts, so that neither is copied by the caller). */
  tag(header: Uint8Array, message: Uint8Array): Uint8Array
}

/** Compares two tags in time independent of where the bytes differ. */
export function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const BLOCK = 64
const DIGEST = 32

/**
 * The first 32 bits of the fractional parts of the `degree`-th roots of the first `count` primes:
 * SHA-256's round constants K (cube roots of 64 primes, FIPS 180-4, 4.2.2) and initial state
 * (square roots of 8, 5.3.3), computed exactly from their definition instead of shipped as 288
 * random-looking bytes. Each is floor(root(p · 2^(32 · degree))) mod 2^32, an integer root found
 * by Newton's method in BigInt, descending from 2^41 (above every root here: p < 2^9).
 */
export function rootFractions(count: number, degree: bigint): number[] {
  const primes: number[] = []
  for (let n = 2; primes.length < count; n++) if (primes.every((p) => n % p !== 0)) primes.push(n)
  return primes.map((p) => {
    const x = BigInt(p) << (32n * degree)
    let root = 1n << 41n
    for (;;) {
      const next = ((degree - 1n) * root + x / root ** (degree - 1n)) / degree
      if (next >= root) return Number(root & 0xffff_ffffn)
      root = next
    }
  })
}

/** SHA-256's initial state (FIPS 180-4, 5.3.3). */
const IV = rootFractions(8, 2n)

interface Sha256Exports {
  memory: WebAssembly.Memory
  blocks(state: number, at: number, count: number): void
  digest(state: number, out: number): void
}

/** Where things go in the module's memory (sha256.wat keeps 0..511 for itself). */
const STATE_AT = 512
const DATA_AT = 1024

/** The WebAssembly engine, compiled on first use; null when it cannot be. */
let compiled: Sha256Exports | null | undefined

function wasmEngine(): Sha256Exports | null {
  if (compiled !== undefined) return compiled
  try {
    const bytes = Uint8Array.from(atob(SHA256_WASM_BASE64), (c) => c.charCodeAt(0))
    const wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Sha256Exports
    // K at address 0, as little-endian words (sha256.wat's memory layout).
    const view = new DataView(wasm.memory.buffer)
    rootFractions(64, 3n).forEach((k, t) => view.setUint32(4 * t, k, true))
    compiled = wasm
  } catch {
    compiled = null
  }
  return compiled
}

/** The engine `keyedMac` uses here: 'wasm' unless WebAssembly cannot be compiled. */
export function macEngine(): MacEngine {
  return wasmEngine() === null ? 'noble' : 'wasm'
}

/** HMAC-SHA256 under `key` (at most 64 bytes), on `engine` (default: the fastest there is). */
export async function keyedMac(key: Uint8Array, engine: MacEngine = macEngine()): Promise<KeyedMac> {
  if (key.length > BLOCK) throw new RangeError(`an HMAC key here is at most ${BLOCK} bytes`)
  const wasm = engine === 'wasm' ? wasmEngine() : null
  if (wasm !== null) return new WasmMac(wasm, key)
  const { hmac, sha256 } = await import('@browser-dht/kademlia/noble-fallback')
  const keyed = hmac.create(sha256, key)
  return { tag: (header, message) => keyed.clone().update(header).update(message).digest() }
}

/**
 * HKDF-SHA256 (RFC 5869) with 32 bytes of output, which is one HMAC block: extract
 * PRK = HMAC(salt, ikm), expand T(1) = HMAC(PRK, info ‖ 0x01). `salt` is at most 64 bytes.
 */
export async function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, engine: MacEngine = macEngine()): Promise<Uint8Array> {
  const prk = (await keyedMac(salt, engine)).tag(ikm, new Uint8Array())
  return (await keyedMac(prk, engine)).tag(info, Uint8Array.of(1))
}

class WasmMac implements KeyedMac {
  readonly #wasm: Sha256Exports
  /** The state after the inner pad's block, and after the outer pad's (8 words each, as stored). */
  readonly #inner: Uint8Array
  readonly #outer: Uint8Array

  constructor(wasm: Sha256Exports, key: Uint8Array) {
    this.#wasm = wasm
    const padded = new Uint8Array(BLOCK)
    padded.set(key)
    this.#inner = this.#padState(padded, 0x36)
    this.#outer = this.#padState(padded, 0x5c)
  }

  tag(header: Uint8Array, message: Uint8Array): Uint8Array {
    const length = header.length + message.length
    const memory = this.#memory(length + 2 * BLOCK)
    memory.set(header, DATA_AT)
    memory.set(message, DATA_AT + header.length)
    this.#hash(this.#inner, length)
    // The inner digest is now at DATA_AT, where the outer hash reads it.
    this.#hash(this.#outer, DIGEST)
    return memory.slice(DATA_AT, DATA_AT + DIGEST)
  }

  /** The state after one block of `padded` XOR `pad`, from the IV. */
  #padState(padded: Uint8Array, pad: number): Uint8Array {
    const memory = this.#memory(BLOCK)
    const view = new DataView(memory.buffer)
    IV.forEach((word, i) => view.setUint32(STATE_AT + 4 * i, word, true))
    for (let i = 0; i < BLOCK; i++) memory[DATA_AT + i] = padded[i]! ^ pad
    this.#wasm.blocks(STATE_AT, DATA_AT, 1)
    return memory.slice(STATE_AT, STATE_AT + DIGEST)
  }

  /**
   * Hashes the `length` bytes at DATA_AT from `state` (one pad block already hashed), with
   * SHA-256's padding, and leaves the 32-byte digest at DATA_AT. The memory holds them already.
   */
  #hash(state: Uint8Array, length: number): void {
    const memory = new Uint8Array(this.#wasm.memory.buffer)
    const blocks = Math.ceil((length + 9) / BLOCK)
    const end = DATA_AT + blocks * BLOCK
    memory.set(state, STATE_AT)
    memory.fill(0, DATA_AT + length, end)
    memory[DATA_AT + length] = 0x80
    // The length in bits of everything hashed, the pad block included (below 2^53 here).
    const bits = (BLOCK + length) * 8
    const view = new DataView(memory.buffer)
    view.setUint32(end - 8, Math.floor(bits / 2 ** 32))
    view.setUint32(end - 4, bits >>> 0)
    this.#wasm.blocks(STATE_AT, DATA_AT, blocks)
    this.#wasm.digest(STATE_AT, DATA_AT)
  }

  /** The module's memory as bytes, grown to hold `bytes` at DATA_AT. */
  #memory(bytes: number): Uint8Array {
    const { memory } = this.#wasm
    const missing = DATA_AT + bytes - memory.buffer.byteLength
    if (missing > 0) memory.grow(Math.ceil(missing / 65_536))
    return new Uint8Array(memory.buffer)
  }
}
