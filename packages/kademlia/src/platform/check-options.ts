/**
 * The one way options are checked (the node's tunables, the transport's, the signaling server's):
 * each option declares its kind (`option.positiveInteger`, `option.integer(1, 64)`, ...), and a
 * value outside it throws the caller's own INVALID_OPTION error, with a message naming the option
 * and what it may be ("k must be an integer from 1 to 64, not 0"), and `withDefaults` fills in
 * what the caller left out. Rules between options (one at least another) stay with their package.
 */

/** What one option may be: a finite number or an integer within [min, max] (above min when `aboveMin`), or a boolean. */
export type OptionKind =
  | { readonly type: 'number' | 'integer'; readonly min: number; readonly max: number; readonly aboveMin?: boolean }
  | { readonly type: 'boolean' }

/** The kinds options have. */
export const option = {
  /** A finite number ≥ 0. */
  nonNegative: { type: 'number', min: 0, max: Infinity },
  /** A finite number > 0. */
  positive: { type: 'number', min: 0, max: Infinity, aboveMin: true },
  /** An integer ≥ 0. */
  nonNegativeInteger: { type: 'integer', min: 0, max: Infinity },
  /** An integer ≥ 1. */
  positiveInteger: { type: 'integer', min: 1, max: Infinity },
  /** true or false. */
  boolean: { type: 'boolean' },
  /** An integer from `min` to `max`, both included. */
  integer: (min: number, max: number): OptionKind => ({ type: 'integer', min, max }),
} as const satisfies Record<string, OptionKind | ((min: number, max: number) => OptionKind)>

/** Options as one table, each with its default and its kind: `{ k: [20, option.integer(1, 64)], ... }`. */
export type OptionTable = Readonly<Record<string, readonly [number, OptionKind]>>

/** The defaults of a table of options. */
export function defaultsOf<T extends OptionTable>(table: T): { readonly [K in keyof T]: number } {
  return Object.fromEntries(Object.entries(table).map(([name, [value]]) => [name, value])) as { [K in keyof T]: number }
}

/**
 * `defaults` with each option `options` sets (not undefined) taken from `options`, as a new
 * object; keys of `options` that `defaults` lacks are left out. Check the values with
 * `checkOptions` (before or after).
 */
export function withDefaults<T extends object>(defaults: T, options: { readonly [K in keyof T]?: T[K] | undefined }): T {
  const resolved = { ...defaults }
  for (const name of Object.keys(defaults) as (keyof T)[]) {
    const value = options[name]
    if (value !== undefined) resolved[name] = value as T[keyof T]
  }
  return resolved
}

/** The kinds of a table of options, as `checkOptions` takes them. */
export function kindsOf<T extends OptionTable>(table: T): { readonly [K in keyof T]: OptionKind } {
  return Object.fromEntries(Object.entries(table).map(([name, [, kind]]) => [name, kind])) as { [K in keyof T]: OptionKind }
}

/** True when `value` is of `kind`. */
export function isOptionValue(kind: OptionKind, value: unknown): boolean {
  if (kind.type === 'boolean') return typeof value === 'boolean'
  if (typeof value !== 'number' || !Number.isFinite(value)) return false
  if (kind.type === 'integer' && !Number.isInteger(value)) return false
  return (kind.aboveMin === true ? value > kind.min : value >= kind.min) && value <= kind.max
}

/** What `kind` allows, in words: "a positive integer", "an integer from 1 to 64", "true or false". */
export function describeOption(kind: OptionKind): string {
  if (kind.type === 'boolean') return 'true or false'
  const { min, max } = kind
  const above = kind.aboveMin === true
  const noun = kind.type === 'integer' ? 'integer' : 'number'
  const a = kind.type === 'integer' ? 'an' : 'a'
  if (max === Infinity && min === 0) return `a ${above ? 'positive' : 'non-negative'} ${noun}`
  if (max === Infinity && min === 1 && noun === 'integer' && !above) return 'a positive integer'
  if (max === Infinity) return `${a} ${noun} ${above ? 'above' : 'of at least'} ${min}`
  return above ? `${a} ${noun} above ${min} and at most ${max}` : `${a} ${noun} from ${min} to ${max}`
}

/**
 * Checks every option of `values` named in `kinds`; an absent one (undefined) is not checked (its
 * default applies). The first value outside its kind throws `invalid(message)`.
 */
export function checkOptions<K extends string>(
  values: NoInfer<Partial<Record<K, unknown>>>,
  kinds: Readonly<Record<K, OptionKind>>,
  invalid: (message: string) => Error,
): void {
  for (const name of Object.keys(kinds) as K[]) {
    const value = values[name]
    if (value === undefined) continue
    const kind = kinds[name]
    if (!isOptionValue(kind, value)) throw invalid(`${name} must be ${describeOption(kind)}, not ${shown(value)}`)
  }
}

/** A value as a message shows it: short, whatever it is. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return value === null ? 'null' : `a ${typeof value}`
}
