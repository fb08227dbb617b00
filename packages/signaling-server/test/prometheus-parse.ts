/**
 * A strict reader of Prometheus' text format 0.0.4, written from the spec and independently of
 * `src/prometheus.ts`, for the tests: it reads a line at a time, character by character, and
 * throws on anything the spec does not allow (or `formatMetrics` should not write: comments other
 * than HELP and TYPE, timestamps, samples outside their family).
 */

export interface ParsedFamily {
  name: string
  help: string
  type: string
  samples: { labels: Record<string, string>; value: number }[]
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const NAME_START = /[a-zA-Z_:]/
const NAME_CHAR = /[a-zA-Z0-9_:]/
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

export function parseMetrics(text: string): ParsedFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line does not end with a line feed')
  const families: ParsedFamily[] = []
  const lines = text.split('\n').slice(0, -1)
  for (let i = 0; i < lines.length; i++) {
    try {
      readLine(lines[i]!, families)
    } catch (error) {
      throw new Error(`line ${i + 1} ${JSON.stringify(lines[i])}: ${(error as Error).message}`, { cause: error })
    }
  }
  return families
}

function readLine(line: string, families: ParsedFamily[]): void {
  const current = families.at(-1)
  if (line.startsWith('# HELP ')) {
    const reader = new Reader(line, '# HELP '.length)
    const name = reader.name()
    reader.literal(' ')
    if (families.some((family) => family.name === name)) throw new Error(`family ${name} again`)
    families.push({ name, help: reader.escaped('help'), type: '', samples: [] })
    return
  }
  if (line.startsWith('# TYPE ')) {
    const reader = new Reader(line, '# TYPE '.length)
    const name = reader.name()
    reader.literal(' ')
    const type = reader.rest()
    if (current?.name !== name || current.type !== '' || !TYPES.has(type)) throw new Error('TYPE out of place or unknown')
    current.type = type
    return
  }
  const reader = new Reader(line, 0)
  const name = reader.name()
  if (current?.name !== name || current.type === '') throw new Error(`sample ${name} outside its family`)
  const labels: Record<string, string> = {}
  if (reader.peek() === '{') {
    reader.literal('{')
    while (reader.peek() !== '}') {
      const label = reader.name()
      if (label.includes(':') || label.startsWith('__') || label in labels) throw new Error(`label name ${label}`)
      reader.literal('="')
      labels[label] = reader.escaped('label')
      reader.literal('"')
      if (reader.peek() !== '}') reader.literal(',')
    }
    reader.literal('}')
  }
  reader.literal(' ')
  current.samples.push({ labels, value: parseValue(reader.rest()) })
}

function parseValue(text: string): number {
  if (text === 'NaN') return Number.NaN
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  if (!FLOAT.test(text)) throw new Error(`value ${JSON.stringify(text)}`)
  return Number(text)
}

class Reader {
  readonly #line: string
  #at: number

  constructor(line: string, at: number) {
    this.#line = line
    this.#at = at
  }

  peek(): string | undefined {
    return this.#line[this.#at]
  }

  literal(text: string): void {
    if (!this.#line.startsWith(text, this.#at)) throw new Error(`expected ${JSON.stringify(text)} at ${this.#at}`)
    this.#at += text.length
  }

  name(): string {
    const start = this.#at
    if (!NAME_START.test(this.#line[this.#at] ?? '')) throw new Error(`expected a name at ${start}`)
    while (NAME_CHAR.test(this.#line[this.#at] ?? '')) this.#at++
    return this.#line.slice(start, this.#at)
  }

  /** HELP text (to the end of the line) or a label value (to the next unescaped `"`), unescaped. */
  escaped(kind: 'help' | 'label'): string {
    let out = ''
    for (;;) {
      const c = this.#line[this.#at]
      if (c === undefined) {
        if (kind === 'help') return out
        throw new Error('unterminated label value')
      }
      if (kind === 'label' && c === '"') return out
      this.#at++
      if (c !== '\\') {
        out += c
        continue
      }
      const next = this.#line[this.#at++]
      if (next === 'n') out += '\n'
      else if (next === '\\' || (kind === 'label' && next === '"')) out += next
      else throw new Error(`escape \\${next ?? ''} in ${kind}`)
    }
  }

  rest(): string {
    const rest = this.#line.slice(this.#at)
    this.#at = this.#line.length
    return rest
  }
}
