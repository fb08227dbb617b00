import { compareDistance, seededRandom } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { trueClosest } from '../src/brute-force.ts'
import { parseFlags, UsageError } from '../src/cli/args.ts'
import { AdversaryIndex } from '../src/bench/adversary.ts'
import { lineChartSvg } from '../src/bench/plot.ts'
import { percentile, percentiles } from '../src/stats.ts'

const SPEC = {
  nodes: { kind: 'int', min: 2, help: '' },
  kill: { kind: 'float', min: 0, max: 0.99, help: '' },
  json: { kind: 'bool', help: '' },
} as const

describe('parseFlags', () => {
  it('reads --name value, --name=value and bare boolean flags, skipping a lone --', () => {
    expect(parseFlags(['--', '--nodes', '10', '--kill=0.25', '--json'], SPEC)).toEqual({ nodes: 10, kill: 0.25, json: true })
  })

  it('reads --no-flag as false for boolean flags', () => {
    expect(parseFlags(['--no-json'], SPEC)).toEqual({ json: false })
  })

  it('rejects unknown flags, missing numbers, fractions for whole numbers and values out of range', () => {
    for (const argv of [['--nodez', '3'], ['--nodes'], ['--nodes', 'ten'], ['--nodes', '2.5'], ['--nodes', '1'], ['--kill', '1'], ['stray']]) {
      expect(() => parseFlags(argv, SPEC), argv.join(' ')).toThrow(UsageError)
    }
  })
})

describe('percentiles', () => {
  it('takes nearest-rank percentiles and the maximum', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 })
  })

  it('answers zeros for no values', () => {
    expect(percentiles([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 })
  })

  it('agree with the single percentile, which answers NaN for no values', () => {
    const values = [7, 3, 9, 1, 5]
    const { p50, p90, p99, max } = percentiles(values)
    expect([percentile(values, 50), percentile(values, 90), percentile(values, 99), percentile(values, 100)]).toEqual([p50, p90, p99, max])
    expect(percentile(values, 0)).toBe(1)
    expect(percentile([], 50)).toBeNaN()
  })
})

describe('trueClosest', () => {
  it('equals sorting every id by distance and leaves out the excepted id', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 30 }), (seed, k) => {
        const random = seededRandom(seed)
        const target = random.bytes(20)
        const ids = Array.from({ length: 60 }, () => random.bytes(20))
        const except = ids[seed & 7]!
        const sorted = ids.filter((id) => id !== except).sort((a, b) => compareDistance(target, a, b))
        expect(trueClosest(ids, target, k, except)).toEqual(sorted.slice(0, k))
      }),
      { numRuns: 100 },
    )
  })
})

describe('lineChartSvg', () => {
  it('draws one path per series and labels it in the legend', () => {
    const svg = lineChartSvg({
      title: 'T',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { name: 'a<b', color: '#000', points: [{ x: 100, y: 1 }, { x: 1000, y: 2 }] },
        { name: 'c', color: '#f00', dashed: true, points: [{ x: 100, y: 3 }, { x: 1000, y: 4 }] },
      ],
    })
    expect(svg.match(/<path /g)).toHaveLength(2)
    expect(svg).toContain('a&lt;b')
    expect(svg).toContain('stroke-dasharray')
  })
})

describe('AdversaryIndex', () => {
  it('returns the n IDs closest to a target, closest first, as brute force does', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), (seed, count, n) => {
        const random = seededRandom(seed)
        // Some IDs share long prefixes, so the ranges of the index are tested deep down.
        const base = random.bytes(20)
        const ids = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? Uint8Array.from([...base.subarray(0, 10), ...random.bytes(10)]) : random.bytes(20)))
        const index = new AdversaryIndex(ids)
        for (const target of [random.bytes(20), base, ids[0] ?? base]) {
          expect(index.closest(target, n)).toEqual(trueClosest(ids, target, n))
        }
      }),
      { numRuns: 200 },
    )
  })
})
