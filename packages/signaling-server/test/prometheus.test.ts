import fc from 'fast-check'
import { isDhtError } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { formatMetrics, type MetricFamily } from '../src/prometheus.ts'
import { parseMetrics } from './prometheus-parse.ts'

describe('formatMetrics', () => {
  it('writes HELP and TYPE lines, then one line per sample, each ending in a line feed', () => {
    const text = formatMetrics([
      { name: 'up', type: 'gauge', help: 'Is it up.', samples: [{ value: 1 }] },
      { name: 'drops_total', type: 'counter', help: 'Frames dropped.', samples: [{ labels: { reason: 'rate', kind: 'a' }, value: 3 }, { labels: { reason: 'size', kind: 'a' }, value: 0 }] },
      { name: 'described_only', type: 'untyped', help: 'No samples yet.', samples: [] },
    ])
    expect(text).toBe(
      [
        '# HELP up Is it up.',
        '# TYPE up gauge',
        'up 1',
        '# HELP drops_total Frames dropped.',
        '# TYPE drops_total counter',
        'drops_total{reason="rate",kind="a"} 3',
        'drops_total{reason="size",kind="a"} 0',
        '# HELP described_only No samples yet.',
        '# TYPE described_only untyped',
        '',
      ].join('\n'),
    )
    expect(formatMetrics([])).toBe('')
  })

  it('escapes backslash, double quote and line feed in label values, and backslash and line feed in HELP', () => {
    const text = formatMetrics([{ name: 'x', type: 'gauge', help: 'a \\ b\nc "d"', samples: [{ labels: { path: 'C:\\dir\n"q"' }, value: 2 }] }])
    expect(text).toBe('# HELP x a \\\\ b\\nc "d"\n# TYPE x gauge\nx{path="C:\\\\dir\\n\\"q\\""} 2\n')
    expect(parseMetrics(text)).toEqual([{ name: 'x', type: 'gauge', help: 'a \\ b\nc "d"', samples: [{ labels: { path: 'C:\\dir\n"q"' }, value: 2 }] }])
  })

  it('writes NaN, +Inf, -Inf and fractions as Go reads them', () => {
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -2, 1e21, 5e-324]
    const text = formatMetrics([{ name: 'v', type: 'gauge', help: '', samples: values.map((value, i) => ({ labels: { i: String(i) }, value })) }])
    expect(text.split('\n').slice(2, -1).map((line) => line.split(' ')[1])).toEqual(['NaN', '+Inf', '-Inf', '0.5', '-2', '1e+21', '5e-324'])
  })

  it('refuses names the format does not allow, a family twice, and a series twice', () => {
    const family = (name: string, labels: Record<string, string> = {}): MetricFamily => ({ name, type: 'gauge', help: '', samples: [{ labels, value: 1 }] })
    const refused = (families: MetricFamily[]): boolean => {
      try {
        formatMetrics(families)
        return false
      } catch (error) {
        return isDhtError(error, 'ERR_INVALID_OPTION')
      }
    }
    for (const name of ['', '1up', 'a-b', 'a b', 'é']) expect(refused([family(name)])).toBe(true)
    for (const label of ['', '1a', 'a:b', '__reserved', 'a-b']) expect(refused([family('ok', { [label]: 'v' })])).toBe(true)
    expect(refused([family('twice'), family('twice')])).toBe(true)
    expect(refused([{ name: 's', type: 'gauge', help: '', samples: [{ labels: { a: '1' }, value: 1 }, { labels: { a: '1' }, value: 2 }] }])).toBe(true)
    expect(refused([family('ns:sub_total', { _a: 'v' }), family('ok')])).toBe(false)
  })

  it('property: every line of any formatted families parses, and reads back as the families', () => {
    const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/)
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((name) => !name.startsWith('__'))
    // Any Unicode, with the characters the format treats specially drawn often.
    const char = fc.oneof(fc.constantFrom('\\', '"', '\n', '\r', ' ', '{', '}', ',', '=', '#'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
    const text = fc.string({ unit: char, maxLength: 20 })
    const sample = fc.record({ labels: fc.dictionary(labelName, text, { maxKeys: 3 }), value: fc.double() })
    const family = fc.record({
      name: metricName,
      help: text,
      type: fc.constantFrom('counter' as const, 'gauge' as const, 'untyped' as const),
      samples: fc.uniqueArray(sample, { maxLength: 4, selector: (s) => JSON.stringify(Object.entries(s.labels)) }),
    })
    fc.assert(
      fc.property(fc.uniqueArray(family, { maxLength: 5, selector: (f) => f.name }), (families) => {
        const parsed = parseMetrics(formatMetrics(families))
        const head = (f: { name: string; help: string; type: string }) => ({ name: f.name, help: f.help, type: f.type })
        expect(parsed.map(head)).toEqual(families.map(head))
        for (const [i, { samples }] of families.entries()) {
          const read = parsed[i]!.samples
          expect(read.map((s) => s.labels)).toEqual(samples.map((s) => ({ ...s.labels })))
          // 0 and -0 are one value to Prometheus; NaN reads back as NaN.
          read.forEach((s, j) => expect(s.value === samples[j]!.value || (Number.isNaN(s.value) && Number.isNaN(samples[j]!.value))).toBe(true))
        }
      }),
      { numRuns: 300 },
    )
  })
})
