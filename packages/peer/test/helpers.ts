/** Test helpers: temp directories under the OS temp dir (removed after each test), fuzz inputs. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/** Call once at the top of a test file; `make()` gives a fresh empty directory, removed after the test. */
export function useTempDirs(): { make: () => Promise<string> } {
  const made: string[] = []
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  })
  return {
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'node-peer-test-'))
      made.push(dir)
      return dir
    },
  }
}

/**
 * Random file contents, some shaped like a record file so the fuzzing gets past the magic:
 * shape 0 is just `tail`, 1 the magic and version then `tail`, 2 also the right key.
 */
export function plausible(key: Uint8Array, tail: Uint8Array, shape: number): Uint8Array {
  if (shape === 0) return tail
  const head = [0x44, 0x48, 0x54, 0x52, 1, ...(shape === 2 ? key : [])]
  return Uint8Array.of(...head, ...tail)
}
