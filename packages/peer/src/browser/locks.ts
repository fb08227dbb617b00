/**
 * Web Locks: a tab holds the lock named after its database for as long as it lives, so another
 * tab can tell a live node's database (lock held) from an orphan's (lock free). The browser
 * releases a tab's locks when the tab closes or crashes.
 */

/**
 * Web Locks exist only in secure contexts (https, or http on localhost / 127.0.0.1). Without them
 * a tab cannot tell a live node's database from an orphan's, so it adopts nothing.
 */
export function locksAvailable(): boolean {
  return typeof navigator !== 'undefined' && navigator.locks !== undefined
}

/**
 * Takes the lock `name` if it is free and holds it until `release()` is called or the page goes
 * away. Resolves with `release` when held, `undefined` when another tab holds it (and a `release`
 * that does nothing when Web Locks are unavailable: see above).
 */
export function holdLock(name: string): Promise<(() => void) | undefined> {
  if (!locksAvailable()) return Promise.resolve(() => {})
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          resolve(undefined)
          return undefined
        }
        return new Promise<void>((release) => resolve(() => release()))
      })
      .catch(reject)
  })
}

/**
 * Runs `work` while holding the lock `name`, if the lock is free; resolves with its result, or
 * `undefined` (without running it) when another tab holds the lock.
 */
export async function withLockIfFree<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  return navigator.locks.request(name, { ifAvailable: true }, async (lock) => (lock === null ? undefined : work()))
}
