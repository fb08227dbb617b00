import { isDhtError } from '../src/errors.ts'

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
