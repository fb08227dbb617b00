/**
 * Prints one plain closing line, "N passed, N failed" (", N skipped" when any), after vitest's own
 * report, so CI logs state the count in a form any reader or tool understands.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 }
    for (const module of modules) {
      for (const test of module.children.allTests()) counts[test.result().state]++
    }
    const skipped = counts.skipped + counts.pending
    console.log(`${counts.passed} passed, ${counts.failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
  }
}
