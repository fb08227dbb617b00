/**
 * Inputs for JSON parsers: random JSON values and strings (fast-check's arbitraries, sampled
 * once with the run's seed), valid frames mutated as values (a field set to a random value or a
 * boundary one, removed, added, nested past a depth limit, padded to a size limit ±1) and as text
 * (characters inserted, deleted and replaced, truncation, splicing two valid frames).
 */
import fc from 'fast-check'
import type { Rng } from './rng.ts'

/** A place in a frame where a limit applies: the value at `path` (object keys from the root). */
export interface Limited {
  readonly path: readonly string[]
  /** Largest UTF-8 size of the JSON of the value at `path`. */
  readonly bytes?: number
  /** Deepest nesting of objects and arrays at `path` (the value itself is depth 1). */
  readonly depth?: number
}

export interface JsonCorpus {
  /** Valid frames, as the project's own code would send them. */
  readonly valid: readonly unknown[]
  /** Limits worth hitting exactly (each is also tried ±1). */
  readonly limits: readonly Limited[]
}

const POOL_SIZE = 512
/** Keys a parser may trip over: prototype names, the empty key, the protocol's own field names. */
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'type', 'data', 'to', 'from', 'v', 'signed', 'peers', 'code']
const NUMBERS = [0, -0, -1, 1, 1.5, 3, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324]
/** Text a JSON parser or a UTF-8 decoder may trip over. */
const SNIPPETS = ['{', '}', '[', ']', '"', ',', ':', '\\', '\\u0000', '\\ud800', '\\x41', 'null', 'true', '-', '1e999', '\u0000', '\ud800', '\udfff', '\u2028', 'é', '😀', ' ', '\n']

export class JsonInputs {
  readonly #rng: Rng
  readonly #corpus: JsonCorpus
  readonly #texts: readonly string[]
  readonly #values: readonly unknown[]
  readonly #strings: readonly string[]

  constructor(rng: Rng, corpus: JsonCorpus, seed: number) {
    if (corpus.valid.length === 0) throw new RangeError('a JSON corpus needs at least one valid frame')
    this.#rng = rng
    this.#corpus = corpus
    this.#texts = corpus.valid.map((value) => JSON.stringify(value))
    // Strings of graphemes and of any byte-sized code point (control characters included); the
    // `binary` unit would cost fast-check 80 MB of tables, and lone surrogates come from SNIPPETS.
    this.#values = fc.sample(fc.jsonValue({ maxDepth: 6, stringUnit: 'grapheme' }), { seed, numRuns: POOL_SIZE })
    const strings = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary-ascii', maxLength: 80 }))
    this.#strings = fc.sample(strings, { seed: seed + 1, numRuns: POOL_SIZE })
  }

  /** One text input. */
  text(): string {
    const roll = this.#rng.float()
    if (roll < 0.1) return JSON.stringify(this.#rng.pick(this.#values))
    if (roll < 0.15) return this.#rng.pick(this.#strings)
    if (roll < 0.75) return JSON.stringify(this.value())
    return this.#mutateText(this.#rng.pick(this.#texts))
  }

  /** One value input: a random JSON value, or a valid frame mutated as a value. */
  value(): unknown {
    if (this.#rng.chance(0.2)) return structuredClone(this.#rng.pick(this.#values))
    const frame = structuredClone(this.#rng.pick(this.#corpus.valid))
    const count = 1 + this.#rng.int(3)
    let out: unknown = frame
    for (let i = 0; i < count; i++) out = this.#mutateValue(out)
    return out
  }

  #mutateValue(frame: unknown): unknown {
    const rng = this.#rng
    const roll = rng.float()
    if (roll < 0.15 && this.#corpus.limits.length > 0) {
      const limit = rng.pick(this.#corpus.limits)
      return limit.bytes !== undefined && rng.chance(0.6) ? padTo(frame, limit.path, limit.bytes + rng.between(-1, 1)) : nestTo(frame, limit, rng)
    }
    const containers = containersIn(frame)
    if (containers.length === 0) return rng.chance(0.5) ? this.#replacement(frame) : [frame]
    const node = rng.pick(containers)
    const keys = Object.keys(node)
    if (roll < 0.3 && keys.length > 0) {
      if (Array.isArray(node)) node.splice(rng.int(node.length), 1)
      else Reflect.deleteProperty(node, rng.pick(keys))
      return frame
    }
    const key = keys.length > 0 && rng.chance(0.75) ? rng.pick(keys) : rng.chance(0.5) ? rng.pick(KEYS) : rng.pick(this.#strings)
    const value = this.#replacement((node as Record<string, unknown>)[key])
    if (Array.isArray(node)) node[rng.int(node.length + 1)] = value
    else Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true })
    return frame
  }

  /** Something to put where `old` was: a value of another type, or a near miss of the same type. */
  #replacement(old: unknown): unknown {
    const rng = this.#rng
    if (rng.chance(0.4)) return structuredClone(rng.pick(this.#values))
    if (typeof old === 'string') return this.#nearString(old)
    if (typeof old === 'number') return rng.pick(NUMBERS)
    if (Array.isArray(old)) return rng.chance(0.5) ? [] : [...old, ...old]
    return rng.pick([null, true, '', 0, [], {}, rng.pick(this.#strings)])
  }

  /** A string one edit away: a character more or less, upper case, another character, or empty. */
  #nearString(old: string): string {
    const rng = this.#rng
    switch (rng.int(6)) {
      case 0:
        return old.slice(0, -1)
      case 1:
        return old + (old.at(-1) ?? 'a')
      case 2:
        return old.toUpperCase()
      case 3:
        return ''
      case 4: {
        const at = rng.int(old.length + 1)
        return old.slice(0, at) + rng.pick(SNIPPETS) + old.slice(at + 1)
      }
      default:
        return old.repeat(1 + rng.int(64))
    }
  }

  #mutateText(text: string): string {
    const rng = this.#rng
    const count = 1 + rng.int(3)
    let out = text
    for (let i = 0; i < count; i++) {
      const at = rng.int(out.length + 1)
      const span = 1 + rng.int(8)
      switch (rng.int(6)) {
        case 0:
          out = out.slice(0, at) + out.slice(at + span)
          break
        case 1:
          out = out.slice(0, at) + rng.pick(SNIPPETS) + out.slice(at)
          break
        case 2:
          out = out.slice(0, at) + rng.pick(SNIPPETS) + out.slice(at + 1)
          break
        case 3:
          out = out.slice(0, at)
          break
        case 4:
          out = out.slice(0, at) + rng.pick(this.#texts).slice(rng.int(40))
          break
        default:
          out = out.slice(0, at) + out.slice(at, at + span).repeat(2) + out.slice(at)
      }
    }
    return out
  }
}

type Container = Record<string, unknown> | unknown[]

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null
}

/** Every object and array in `value`, itself included (iteratively: values may be deep). */
function containersIn(value: unknown): Container[] {
  const out: Container[] = []
  const stack = [value]
  while (stack.length > 0 && out.length < 256) {
    const node = stack.pop()
    if (!isContainer(node)) continue
    out.push(node)
    stack.push(...Object.values(node))
  }
  return out
}

function at(frame: unknown, path: readonly string[]): unknown {
  let node = frame
  for (const key of path) node = isContainer(node) ? (node as Record<string, unknown>)[key] : undefined
  return node
}

/** `frame` with a string added at `path` so that the value there is `bytes` long as UTF-8 JSON. */
function padTo(frame: unknown, path: readonly string[], bytes: number): unknown {
  const node = at(frame, path)
  if (!isContainer(node) || Array.isArray(node)) return frame
  node.pad = ''
  const missing = bytes - Buffer.byteLength(JSON.stringify(node))
  if (missing > 0) node.pad = 'x'.repeat(missing)
  else delete node.pad
  return frame
}

/** `frame` with arrays nested under `path` to the limit's depth −1, 0 or +1, or far deeper. */
function nestTo(frame: unknown, limit: Limited, rng: Rng): unknown {
  const node = at(frame, limit.path)
  if (!isContainer(node) || Array.isArray(node)) return frame
  const depth = rng.chance(0.1) ? 2_000 : (limit.depth ?? 8) + rng.between(-2, 0)
  let nested: unknown = rng.pick([0, 'x', null])
  for (let i = 0; i < depth; i++) nested = rng.chance(0.5) ? [nested] : { n: nested }
  node.nested = nested
  return frame
}
