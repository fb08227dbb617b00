/**
 * Metric families → Prometheus' text exposition format, version 0.0.4: per family a `# HELP` and
 * a `# TYPE` line, then one `name{label="value",…} value` line per sample, every line ending in a
 * line feed. Pure (no I/O, no Node built-ins): the signaling server's `/metrics` uses it, and so
 * can any other process of this repository that wants to be scraped.
 */
import { DhtError, ErrorCode } from '@browser-dht/kademlia'

/** The Content-Type of a response whose body is `formatMetrics`' text. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** `counter`: only ever goes up (named `…_total`); `gauge`: goes up and down. */
export type MetricType = 'counter' | 'gauge' | 'untyped'

export interface MetricSample {
  /** Label names and values; every sample of a family should have the same names. */
  readonly labels?: Readonly<Record<string, string>>
  readonly value: number
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, unique among the families formatted together. */
  readonly name: string
  /** One line of text (a line feed in it is escaped). */
  readonly help: string
  readonly type: MetricType
  /** No two with the same labels. May be empty: the family is then only described. */
  readonly samples: readonly MetricSample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
/** Label names starting with `__` are reserved for Prometheus itself. */
const LABEL_NAME = /^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * The text of `families`, in order. Throws `DhtError` `ERR_INVALID_OPTION` for a name or label
 * name the format does not allow, a family named twice, or two samples of a family with the same
 * labels: each would make the whole scrape fail.
 */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const names = new Set<string>()
  let text = ''
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw invalid(`metric name ${JSON.stringify(family.name)}`)
    if (names.has(family.name)) throw invalid(`metric ${family.name} given twice`)
    names.add(family.name)
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
    const series = new Set<string>()
    for (const sample of family.samples) {
      const labels = formatLabels(family.name, sample.labels ?? {})
      if (series.has(labels)) throw invalid(`metric ${family.name}${labels} given twice`)
      series.add(labels)
      text += `${family.name}${labels} ${formatValue(sample.value)}\n`
    }
  }
  return text
}

function formatLabels(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([label, value]) => {
    if (!LABEL_NAME.test(label)) throw invalid(`label name ${JSON.stringify(label)} of ${name}`)
    return `${label}="${escapeLabelValue(value)}"`
  })
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

/** In HELP text a backslash and a line feed are escaped (`\\`, `\n`). */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}

/** In a label value a backslash, a double quote and a line feed are escaped (`\\`, `\"`, `\n`). */
function escapeLabelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

/** Go's float syntax: `NaN`, `+Inf`, `-Inf`, else JavaScript's shortest round-trip form. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function invalid(what: string): DhtError {
  return new DhtError(ErrorCode.INVALID_OPTION, `Prometheus text format: invalid ${what}`)
}
