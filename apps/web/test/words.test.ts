import { DhtError, ErrorCode } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { ringFraction, ringPoint } from '../src/ui/ring.ts'
import { checkRequest, describeError, formatBytes, formatDuration, MAX_NAME_LENGTH, notFound, refusedSummary } from '../src/ui/words.ts'

const context = { maxValueBytes: 65_536 }

describe('checkRequest', () => {
  it('accepts a name and a value, trimming the name', () => {
    const checked = checkRequest('  alice ', 'hi', context)
    expect(checked).toEqual({ ok: true, name: 'alice', value: new TextEncoder().encode('hi') })
  })

  it('asks for a key when the key is empty or only spaces', () => {
    for (const name of ['', '   ', '\n']) {
      const checked = checkRequest(name, 'v', context)
      expect(checked.ok).toBe(false)
      if (!checked.ok) expect(checked.message).toMatch(/^Type a key first/)
    }
  })

  it('names the size and the limit when the value is too large, counting UTF-8 bytes', () => {
    const checked = checkRequest('k', 'é'.repeat(32_769), context)
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.message).toBe('The value is too large: 65,538 bytes of UTF-8 text. The limit is 65,536 bytes (64 KiB).')
  })

  it('accepts a value of exactly the limit, and a Get with no value', () => {
    expect(checkRequest('k', 'x'.repeat(65_536), context).ok).toBe(true)
    expect(checkRequest('k', undefined, context).ok).toBe(true)
  })

  it('refuses a key name longer than the limit', () => {
    expect(checkRequest('x'.repeat(MAX_NAME_LENGTH + 1), '', context).ok).toBe(false)
  })
})

describe('describeError', () => {
  const online = { serverUnreachable: false, signalUrl: 'ws://h/signal' }

  it('says there are no peers yet, and that the server is unreachable when it is', () => {
    const error = new DhtError(ErrorCode.NO_PEERS, 'no peers yet')
    expect(describeError(error, online)).toMatch(/^No peers yet/)
    expect(describeError(error, online)).not.toMatch(/unreachable/)
    expect(describeError(error, { ...online, serverUnreachable: true })).toMatch(/ws:\/\/h\/signal\) is unreachable/)
  })

  it('words every other failure without throwing', () => {
    for (const code of Object.values(ErrorCode)) expect(describeError(new DhtError(code, 'x'), online).length).toBeGreaterThan(10)
    expect(describeError(new Error('boom'), online)).toBe('Something went wrong: boom.')
  })

  it('says why the nodes refused a record in plain words, not as a code', () => {
    const said = (code: ErrorCode): string => describeError(new DhtError(code, 'x'), online)
    expect(said(ErrorCode.SEQ_TOO_LOW)).toMatch(/^A newer value exists/)
    expect(said(ErrorCode.BAD_SIGNATURE)).toMatch(/^The signature is invalid/)
    expect(said(ErrorCode.KEY_FULL)).toMatch(/^Too many publishers/)
    expect(said(ErrorCode.STORAGE_FULL)).toMatch(/^Storage is full/)
    expect(said(ErrorCode.VALUE_TOO_LARGE)).toMatch(/^The value is too large/)
    for (const code of [ErrorCode.SEQ_TOO_LOW, ErrorCode.BAD_SIGNATURE, ErrorCode.KEY_FULL, ErrorCode.NOT_CLOSE, ErrorCode.SENDER_QUOTA, ErrorCode.CAS_MISMATCH, ErrorCode.RATE_LIMITED]) {
      expect(said(code)).not.toContain('ERR_')
    }
  })

  it('says not found with the name', () => {
    expect(notFound('bob')).toMatch(/^Not found: .*“bob”/)
  })
})

describe('formatting', () => {
  it('formats sizes and durations coarsely', () => {
    expect(formatBytes(22)).toBe('22 B')
    expect(formatBytes(65_536)).toBe('64 KiB')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatDuration(40_000)).toBe('40 s')
    expect(formatDuration(24 * 3600_000)).toBe('24 h')
    expect(formatDuration(125 * 60_000)).toBe('2 h 5 min')
    expect(formatDuration(-5)).toBe('0 s')
  })
})

describe('the keyspace ring', () => {
  it('places an ID by its first 32 bits, clockwise from the top', () => {
    expect(ringFraction('00000000' + '0'.repeat(32))).toBe(0)
    expect(ringFraction('80000000' + '0'.repeat(32))).toBe(0.5)
    expect(ringFraction('ffffffff' + 'f'.repeat(32))).toBeLessThan(1)
    const top = ringPoint(0, 100)
    const right = ringPoint(0.25, 100)
    expect(top.y).toBeLessThan(right.y)
    expect(right.x).toBeGreaterThan(top.x)
  })
})

describe('refusedSummary', () => {
  it('says so when everything proved its sender', () => {
    expect(refusedSummary({ relays: 0, signals: 0, rateLimited: 0 })).toBe('Every relayed message and connection signal so far proved who sent it.')
  })

  it('counts what was refused, and how much of it only for going too fast', () => {
    expect(refusedSummary({ relays: 1200, signals: 3, rateLimited: 0 })).toBe(
      'Refused 1,200 relayed message(s) and 3 connection signal(s) whose sender could not be proven (forged, replayed, too old or a weak ID); nothing was answered.',
    )
    expect(refusedSummary({ relays: 5, signals: 0, rateLimited: 2 })).toContain(', 2 of them because a peer sent more than this tab checks a second;')
  })
})
