/**
 * The benchmarks' plain helpers, with no browser behind them (so that a child process such as
 * compare-run.ts can use them without loading Playwright): waiting, giving up on an operation, and
 * the progress log on stderr. common.ts re-exports them.
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const log = (line: string): void => void process.stderr.write(`${line}\n`)

/** Rejects after `ms`; the operation itself goes on. */
export async function timed<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)))
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
