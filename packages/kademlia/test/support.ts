import { type DhtError, isDhtError } from '../src/errors.ts'
import type { Signer } from '../src/keyspace/ed25519.ts'
import { ed25519Signer } from '../src/keyspace/ed25519-noble.ts'
import type { Id } from '../src/keyspace/id.ts'
import type { AbortSignalLike } from '../src/platform/platform.ts'

/** The `code` of the DhtError `promise` rejects with; fails the test if it resolves or throws another error. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await dhtErrorOf(promise)).code
}

/** The DhtError `promise` rejects with; fails the test if it resolves or throws another error. */
export async function dhtErrorOf(promise: Promise<unknown>): Promise<DhtError> {
  try {
    await promise
  } catch (error) {
    if (isDhtError(error)) return error
    throw error
  }
  throw new Error('expected a DhtError')
}

/**
 * An abort signal that knows its listeners, to see that an operation lets go of it once it has
 * settled (so a later abort reaches nothing).
 */
export function listenedSignal(): { signal: AbortSignalLike; abort(reason?: unknown): void; readonly listeners: number } {
  const controller = new AbortController()
  const listeners = new Set<() => void>()
  const signal: AbortSignalLike = {
    get aborted() {
      return controller.signal.aborted
    },
    get reason(): unknown {
      return controller.signal.reason
    },
    addEventListener(type, listener, options) {
      listeners.add(listener)
      controller.signal.addEventListener(type, listener, options)
    },
    removeEventListener(type, listener) {
      listeners.delete(listener)
      controller.signal.removeEventListener(type, listener)
    },
  }
  return {
    signal,
    abort: (reason) => controller.abort(reason),
    get listeners() {
      return listeners.size
    },
  }
}

/**
 * A test node's signer, derived from its ID (no randomness drawn, so seeded tests keep their
 * sequences). Real nodes sign with their identity key, whose SHA-1 is their ID.
 */
export function signerFor(id: Id): Signer {
  return ed25519Signer(Uint8Array.from({ length: 32 }, (_, i) => id[i % id.length]! ^ i))
}
