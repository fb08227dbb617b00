import { isDhtError } from '../src/errors.ts'
import { ed25519Signer, type Signer } from '../src/keyspace/ed25519.ts'
import type { Id } from '../src/keyspace/id.ts'

/** The `code` of the DhtError `promise` rejects with; fails the test if it resolves or throws another error. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isDhtError(error)) return error.code
    throw error
  }
  throw new Error('expected a DhtError')
}

/**
 * A test node's signer, derived from its ID (no randomness drawn, so seeded tests keep their
 * sequences). Real nodes sign with their identity key, whose SHA-1 is their ID.
 */
export function signerFor(id: Id): Signer {
  return ed25519Signer(Uint8Array.from({ length: 32 }, (_, i) => id[i % id.length]! ^ i))
}
