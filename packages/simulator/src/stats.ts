/**
 * Percentiles and means for benchmark figures: the project's one percentile (the simulator's
 * benches, the browser and churn benches in e2e/bench, the transport's benches).
 */
export interface Percentiles {
  p50: number
  p90: number
  p99: number
  max: number
}

/** Nearest rank: the smallest of `sorted` (ascending, not empty) with at least `p` percent of the values at or below it. */
function atRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}

/** The nearest-rank `p`th percentile (0–100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  return values.length === 0 ? Number.NaN : atRank(ascending(values), p)
}

/** p50, p90, p99 (nearest rank) and the maximum of `values`; zeros when there are none. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 }
  const sorted = ascending(values)
  return { p50: atRank(sorted, 50), p90: atRank(sorted, 90), p99: atRank(sorted, 99), max: sorted.at(-1)! }
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
