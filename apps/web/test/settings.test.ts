import { describe, expect, it } from 'vitest'
import { defaultSignalUrl, parseSettings, type Settings } from '../src/settings.ts'

const DEFAULTS: Settings = {
  signals: ['ws://127.0.0.1:8787/signal'],
  k: 20,
  alpha: 3,
  loopback: false,
  replicate: 3600,
  republish: 43_200,
  refresh: 3600,
  budget: 32,
  paths: 8,
}

describe('parseSettings', () => {
  it('keeps the defaults and warns about nothing for an empty query', () => {
    expect(parseSettings('', DEFAULTS)).toEqual({ settings: DEFAULTS, warnings: [] })
  })

  it('reads signal, k, alpha and loopback from the query', () => {
    const { settings, warnings } = parseSettings('?signal=ws://localhost:9000/signal&k=3&alpha=2&loopback=1', DEFAULTS)
    expect(settings).toEqual({ ...DEFAULTS, signals: ['ws://localhost:9000/signal'], k: 3, alpha: 2, loopback: true })
    expect(warnings).toEqual([])
  })

  it('reads several signaling servers, without duplicates and at most eight, and the connection budget', () => {
    const urls = Array.from({ length: 10 }, (_, i) => `ws://127.0.0.1:${9000 + i}/signal`)
    const query = `?${[urls[0], urls[0], ...urls.slice(1)].map((url) => `signal=${encodeURIComponent(url!)}`).join('&')}&budget=6`
    const { settings, warnings } = parseSettings(query, DEFAULTS)
    expect(settings.signals).toEqual(urls.slice(0, 8))
    expect(settings.budget).toBe(6)
    expect(warnings).toHaveLength(2)
    expect(parseSettings('?budget=1', DEFAULTS).settings.budget).toBe(32)
    expect(parseSettings('?budget=201', DEFAULTS).warnings).toEqual(['The setting budget=201 was ignored: it must be a whole number from 2 to 200.'])
  })

  it('reads the number of disjoint lookup paths, from 1 to 16', () => {
    expect(parseSettings('?paths=1', DEFAULTS).settings.paths).toBe(1)
    expect(parseSettings('?paths=0', DEFAULTS)).toEqual({ settings: DEFAULTS, warnings: ['The setting paths=0 was ignored: it must be a whole number from 1 to 16.'] })
  })

  it('ignores each bad value with one warning and keeps its default', () => {
    const { settings, warnings } = parseSettings('?k=0&alpha=x&loopback=maybe&signal=http://a/b&color=red', DEFAULTS)
    expect(settings).toEqual(DEFAULTS)
    expect(warnings).toHaveLength(5)
  })

  it('ignores a signaling address createPeer would refuse (a #fragment, no host), saying why', () => {
    const { settings, warnings } = parseSettings(`?signal=${encodeURIComponent('ws://a.example/signal#x')}&signal=${encodeURIComponent('wss://')}`, DEFAULTS)
    expect(settings.signals).toEqual(DEFAULTS.signals)
    expect(warnings).toEqual([
      'The signaling address "ws://a.example/signal#x" was ignored: it must not have a #fragment.',
      'The signaling address "wss://" was ignored: it is not a URL.',
    ])
  })

  it('refuses fractions, signs and numbers beyond the range', () => {
    for (const k of ['2.5', '-1', '65', '1e1', ' 3']) {
      expect(parseSettings(`?k=${encodeURIComponent(k)}`, DEFAULTS).settings.k).toBe(20)
    }
  })

  it('reads the maintenance intervals replicate, republish and refresh in seconds', () => {
    const { settings, warnings } = parseSettings('?replicate=2&republish=3&refresh=86400', DEFAULTS)
    expect(settings).toEqual({ ...DEFAULTS, replicate: 2, republish: 3, refresh: 86_400 })
    expect(warnings).toEqual([])
  })

  it('ignores an interval of zero, a fraction, or beyond a day, naming the setting and its range', () => {
    const { settings, warnings } = parseSettings('?replicate=0&republish=1.5&refresh=86401', DEFAULTS)
    expect(settings).toEqual(DEFAULTS)
    expect(warnings).toEqual([
      'The setting replicate=0 was ignored: it must be a whole number from 1 to 86400.',
      'The setting republish=1.5 was ignored: it must be a whole number from 1 to 86400.',
      'The setting refresh=86401 was ignored: it must be a whole number from 1 to 86400.',
    ])
  })

  it('ignores an absurdly long query entirely', () => {
    const { settings, warnings } = parseSettings(`?k=3&pad=${'x'.repeat(3000)}`, DEFAULTS)
    expect(settings).toEqual(DEFAULTS)
    expect(warnings).toHaveLength(1)
  })
})

describe('defaultSignalUrl', () => {
  it('points at /signal on the host that served the page, secure when the page is', () => {
    expect(defaultSignalUrl({ protocol: 'http:', host: '127.0.0.1:5173' })).toBe('ws://127.0.0.1:5173/signal')
    expect(defaultSignalUrl({ protocol: 'https:', host: 'dht.example' })).toBe('wss://dht.example/signal')
  })
})
