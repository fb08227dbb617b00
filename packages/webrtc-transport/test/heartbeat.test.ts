import { describe, expect, it } from 'vitest'
import { Heartbeat } from '../src/link/heartbeat.ts'

const INTERVAL = 5000

/** Ticks every `every` ms from `from` until `until`; returns the first time the heartbeat said dead. */
function tickUntilDead(beat: Heartbeat, from: number, every: number, until: number, answerWithinMs?: number): number | undefined {
  for (let now = from; now <= until; now += every) {
    const action = beat.tick(now)
    if (action === 'dead') return now
    if (action === 'ping' && answerWithinMs !== undefined) beat.heard(now + answerWithinMs)
  }
  return undefined
}

describe('the heartbeat', () => {
  it('asks for a ping only after a whole interval of silence', () => {
    const beat = new Heartbeat(INTERVAL, 3, 0)
    expect(beat.tick(INTERVAL - 1)).toBe('none')
    beat.heard(4000)
    expect(beat.tick(8999)).toBe('none')
    expect(beat.tick(9000)).toBe('ping')
    expect(beat.unanswered).toBe(1)
  })

  it('declares a silent peer dead between maxMissed + 1 and maxMissed + 2 intervals after it went silent', () => {
    for (const phase of [1, 2500, 4999]) {
      const beat = new Heartbeat(INTERVAL, 3, 0)
      const dead = tickUntilDead(beat, phase, INTERVAL, 60_000)!
      expect(dead).toBeGreaterThanOrEqual(4 * INTERVAL)
      expect(dead).toBeLessThan(5 * INTERVAL)
    }
  })

  it('resets the count of unanswered pings whenever anything is heard', () => {
    const beat = new Heartbeat(INTERVAL, 2, 0)
    expect(beat.tick(5000)).toBe('ping')
    expect(beat.tick(10_000)).toBe('ping')
    beat.heard(10_001)
    expect(beat.unanswered).toBe(0)
    expect(beat.tick(15_000)).toBe('none')
    expect(beat.tick(15_001)).toBe('ping')
  })

  it('never declares a peer dead that answers, even when this side ticks only once a minute', () => {
    const beat = new Heartbeat(INTERVAL, 3, 0)
    expect(tickUntilDead(beat, 60_000, 60_000, 24 * 3600_000, 40)).toBeUndefined()
  })

  it('still detects a dead peer when this side ticks only once a minute, within five minutes', () => {
    const beat = new Heartbeat(INTERVAL, 3, 0)
    expect(tickUntilDead(beat, 60_000, 60_000, 3600_000)).toBe(4 * 60_000)
  })
})
