import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../src/platform/token-bucket.ts'

describe('TokenBucket', () => {
  it('allows a burst, then refuses until time refills a token', () => {
    let now = 0
    const bucket = new TokenBucket({ burst: 3, perSecond: 2, now: () => now })
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false])
    now += 499
    expect(bucket.take()).toBe(false)
    now += 1
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
  })

  it('never holds more than the burst, however long it waits', () => {
    let now = 0
    const bucket = new TokenBucket({ burst: 2, perSecond: 100, now: () => now })
    now += 60_000
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false])
  })

  it('is full again once it has refilled to the burst, and not before', () => {
    let now = 0
    const bucket = new TokenBucket({ burst: 2, perSecond: 1, now: () => now })
    expect(bucket.isFull()).toBe(true)
    bucket.take()
    expect(bucket.isFull()).toBe(false)
    now += 999
    expect(bucket.isFull()).toBe(false)
    now += 1
    expect(bucket.isFull()).toBe(true)
  })
})
