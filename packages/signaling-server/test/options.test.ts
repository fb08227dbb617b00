import { isDhtError } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { DEFAULTS, parseTunableAssignments, resolveTunables, type Tunables } from '../src/options.ts'

function invalid(action: () => unknown): boolean {
  try {
    action()
  } catch (error) {
    return isDhtError(error, 'ERR_INVALID_OPTION')
  }
  return false
}

describe('resolveTunables', () => {
  it('fills in every default and takes 0 only where it means off', () => {
    expect(resolveTunables()).toEqual(DEFAULTS)
    expect(resolveTunables({ idPuzzleBits: 0, introduceMinAgeMs: 0, trustProxy: true })).toMatchObject({ idPuzzleBits: 0, introduceMinAgeMs: 0, trustProxy: true })
  })

  it('refuses values of the wrong kind and bounds that contradict each other with ERR_INVALID_OPTION', () => {
    const bad: Partial<Record<keyof Tunables, unknown>>[] = [
      { maxSocketsPerAddress: 0 },
      { registrationsPerMinutePerAddress: 2.5 },
      { trustProxy: 'yes' },
      { trustProxy: 1 },
      { introduceMinAgeMs: -1 },
      { idPuzzleBits: 33 },
      { maxSocketsPerAddress: 100, maxSocketsPerNetwork: 50 },
      { registrationsPerMinutePerAddress: 200 },
      { headersTimeoutMs: 60_000 },
      { maxConnections: 1999 },
    ]
    for (const overrides of bad) expect(invalid(() => resolveTunables(overrides as Partial<Tunables>)), JSON.stringify(overrides)).toBe(true)
  })
})

describe('parseTunableAssignments', () => {
  it('reads name=value for numbers and flags', () => {
    expect(parseTunableAssignments(['maxSocketsPerAddress=64', 'trustProxy=true', 'ratePerSecond=2.5', 'idPuzzleBits=0'])).toEqual({ maxSocketsPerAddress: 64, trustProxy: true, ratePerSecond: 2.5, idPuzzleBits: 0 })
  })

  it('refuses unknown names and values of the wrong kind', () => {
    for (const assignment of ['nope=1', 'maxClients', '=1', 'maxClients=', 'maxClients=1e3', 'maxClients=-1', 'trustProxy=1', 'toString=1', '__proto__=1']) {
      expect(invalid(() => parseTunableAssignments([assignment])), assignment).toBe(true)
    }
  })
})
