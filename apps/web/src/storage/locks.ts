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
 * Takes the lock `name` if it is free and holds it until the page goes away. Resolves true when
 * held, false when another tab holds it (and true when Web Locks are unavailable: see above).
 */
export function holdLockForever(name: string): Promise<boolean> {
  if (!locksAvailable()) return Promise.resolve(true)
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { ifAvailable: true }, (lock) => {
        resolve(lock !== null)
        return lock === null ? undefined : new Promise<never>(() => {})
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
