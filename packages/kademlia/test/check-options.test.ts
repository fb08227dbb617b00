import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkOptions, describeOption, isOptionValue, option, type OptionKind, withDefaults } from '../src/platform/check-options.ts'

class Invalid extends Error {}
const invalid = (message: string): Error => new Invalid(message)

/** Any kind: a named one, or an integer range with arbitrary bounds. */
const kinds: fc.Arbitrary<OptionKind> = fc.oneof(
  fc.constantFrom<OptionKind>(option.nonNegative, option.positive, option.nonNegativeInteger, option.positiveInteger, option.boolean),
  fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 })).map(([min, span]) => option.integer(min, min + span)),
)

/** Values of every sort, with many near the edges of the kinds above. */
const values: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer({ min: -1100, max: 2100 }),
  fc.constantFrom(0, -0, 1, -1, 0.5, Infinity, -Infinity, Number.NaN, Number.MAX_VALUE),
  fc.boolean(),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(null, {}, [], 1n),
)

/** The same rule, written out once more from its definition. */
function allowed(kind: OptionKind, value: unknown): boolean {
  if (kind.type === 'boolean') return value === true || value === false
  if (typeof value !== 'number' || Number.isNaN(value) || Math.abs(value) === Infinity) return false
  if (kind.type === 'integer' && Math.floor(value) !== value) return false
  const low = kind.aboveMin === true ? value > kind.min : value >= kind.min
  return low && value <= kind.max
}

describe('checkOptions', () => {
  it('throws the caller’s error, naming the option and its range, exactly when a value is outside its kind (fast-check)', () => {
    fc.assert(
      fc.property(kinds, values, (kind, value) => {
        expect(isOptionValue(kind, value)).toBe(allowed(kind, value))
        let thrown: unknown
        try {
          checkOptions({ someOption: value }, { someOption: kind }, invalid)
        } catch (error) {
          thrown = error
        }
        if (allowed(kind, value)) {
          expect(thrown).toBeUndefined()
        } else {
          expect(thrown).toBeInstanceOf(Invalid)
          expect((thrown as Error).message.startsWith(`someOption must be ${describeOption(kind)}, not `)).toBe(true)
        }
      }),
    )
  })

  it('leaves absent options to their defaults and reports the first bad one in the order of the kinds', () => {
    const table = { a: option.positiveInteger, b: option.integer(1, 64), c: option.boolean }
    expect(() => checkOptions({}, table, invalid)).not.toThrow()
    expect(() => checkOptions({ a: undefined, b: 64, c: false }, table, invalid)).not.toThrow()
    expect(() => checkOptions({ c: 1, b: 65, a: 0 }, table, invalid)).toThrow('a must be a positive integer, not 0')
    expect(() => checkOptions({ b: 65 }, table, invalid)).toThrow('b must be an integer from 1 to 64, not 65')
    expect(() => checkOptions({ c: 'yes' }, table, invalid)).toThrow('c must be true or false, not "yes"')
  })

  it('says each kind in words', () => {
    expect(describeOption(option.nonNegative)).toBe('a non-negative number')
    expect(describeOption(option.positive)).toBe('a positive number')
    expect(describeOption(option.nonNegativeInteger)).toBe('a non-negative integer')
    expect(describeOption(option.positiveInteger)).toBe('a positive integer')
    expect(describeOption(option.integer(0, 32))).toBe('an integer from 0 to 32')
    expect(describeOption(option.boolean)).toBe('true or false')
  })
})

describe('withDefaults', () => {
  it('takes each option that is set, keeps the default of each that is not, leaves out other keys, and copies (fast-check)', () => {
    const settings = fc.oneof(fc.constant(undefined), fc.integer())
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer()), fc.record({ a: settings, b: settings, z: settings }, { requiredKeys: [] }), (defaults, options) => {
        const frozen = Object.freeze({ ...defaults })
        const resolved = withDefaults<Record<string, number>>(frozen, options)
        expect(resolved).not.toBe(frozen)
        expect(Object.keys(resolved).sort()).toEqual(Object.keys(frozen).sort())
        for (const name of Object.keys(frozen)) {
          const set = (options as Record<string, number | undefined>)[name]
          expect(resolved[name]).toBe(set ?? frozen[name])
        }
      }),
    )
  })
})
