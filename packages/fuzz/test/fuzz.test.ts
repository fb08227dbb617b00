import { describe, expect, it } from 'vitest'
import { type RunResult, runFuzz, share } from '../src/runner.ts'
import { type FuzzTarget, invariant } from '../src/target.ts'
import { dhtCodec } from '../src/targets/dht-codec.ts'
import { TARGETS } from '../src/targets/index.ts'

const PER_TARGET = 3000

/** Each escape with its target, so a failure shows what escaped and the input that made it. */
const escapes = (result: RunResult): string[] => result.targets.flatMap((t) => t.examples.map((example) => `${t.name}: ${example}`))

/** A target whose every `every`th input throws, and whose `at`th breaks an invariant. */
function faulty(every: number, at: number): FuzzTarget {
  return {
    name: 'faulty',
    boundary: 'a parser with bugs',
    async open() {
      let fed = 0
      return {
        feed() {
          fed++
          if (fed % every === 0) throw new TypeError('cannot read properties of undefined')
          invariant(fed !== at, 'a field out of its bounds')
          return fed % 2 === 0 ? 'ok' : 'too-short'
        },
        lastInput: () => `input ${fed}`,
        finish: async () => ['the node stopped'],
        close: async () => {},
      }
    },
  }
}

describe('bench:fuzz', () => {
  it(`lets nothing escape any target in ${PER_TARGET.toLocaleString('en')} frames each`, async () => {
    const result = await runFuzz({ frames: PER_TARGET * TARGETS.length, seed: 7, targets: TARGETS })
    expect(escapes(result)).toEqual([])
    expect(result.escaped).toBe(0)
    expect(result.targets.map((t) => t.frames)).toEqual(TARGETS.map(() => PER_TARGET))
  })

  it('counts exceptions thrown, invariants broken and violations after the run as escaped, and goes on', async () => {
    const result = await runFuzz({ frames: 100, seed: 1, targets: [faulty(10, 15)] })
    const [target] = result.targets
    expect(result.frames).toBe(100)
    expect(result.escaped).toBe(10 + 1 + 1)
    expect(target!.outcomes).toEqual({ ok: 40, 'too-short': 49 })
    expect(target!.examples[0]).toContain('TypeError: cannot read properties of undefined')
    expect(target!.examples[0]).toContain('input 10')
    expect(target!.examples[1]).toContain('InvariantError: a field out of its bounds')
  })

  it('makes the same inputs from the same seed', async () => {
    const run = async (seed: number) => (await runFuzz({ frames: 2000, seed, targets: [dhtCodec] })).targets[0]!.outcomes
    expect(await run(3)).toEqual(await run(3))
    expect(await run(3)).not.toEqual(await run(4))
  })

  it('shares frames by weight, the remainder to the first targets', () => {
    expect(share(10, [1, 1, 1])).toEqual([4, 3, 3])
    expect(share(10, [2, 1, 1])).toEqual([6, 2, 2])
    expect(share(1_000_000, TARGETS.map(() => 1)).reduce((a, b) => a + b)).toBe(1_000_000)
  })
})
