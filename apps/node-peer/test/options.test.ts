import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BOUNDS, DEFAULTS, HELP, parseArgs, peerDataDir, SIGNAL_PATH } from '../src/options.ts'

const errorOf = (argv: string[]): string => {
  const parsed = parseArgs(argv)
  return parsed.ok ? 'parsed' : parsed.error
}
const optionsOf = (argv: string[]) => {
  const parsed = parseArgs(argv)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.options
}

describe('parseArgs', () => {
  it('fills in every default', () => {
    expect(optionsOf(['--signal', 'ws://127.0.0.1:8080/signal'])).toEqual({
      signal: ['ws://127.0.0.1:8080/signal'],
      data: DEFAULTS.data,
      port: undefined,
      host: DEFAULTS.host,
      count: DEFAULTS.count,
      k: DEFAULTS.k,
      budget: DEFAULTS.budget,
      icePort: DEFAULTS.icePort,
      loopback: false,
      direct: { host: undefined },
      quiet: false,
      help: false,
    })
  })

  it('reads every option', () => {
    const argv = ['--signal=wss://a.example/signal', '--data', '/tmp/x', '--port', '0', '--host', '0.0.0.0', '--count', '3', '--k', '8', '--budget', '10', '--ice-port', '40000', '--loopback', '--quiet']
    expect(optionsOf(argv)).toEqual({
      signal: ['wss://a.example/signal'],
      data: '/tmp/x',
      port: 0,
      host: '0.0.0.0',
      count: 3,
      k: 8,
      budget: 10,
      icePort: 40_000,
      loopback: true,
      direct: { host: undefined },
      quiet: true,
      help: false,
    })
  })

  it('listens for direct links where --direct-host says, or has none with --no-direct, not both', () => {
    expect(optionsOf(['--port', '0', '--direct-host', '10.0.0.5']).direct).toEqual({ host: '10.0.0.5' })
    expect(optionsOf(['--port', '0', '--no-direct']).direct).toBe(false)
    expect(errorOf(['--port', '0', '--no-direct', '--direct-host', '10.0.0.5'])).toMatch(/exclude each other/)
    expect(errorOf(['--port', '0', '--direct-host', 'example.com'])).toMatch(/--direct-host must be an IPv4 address/)
  })

  it('takes several signaling URLs, repeated or comma-separated, normalized and without duplicates', () => {
    const argv = ['--signal', 'ws://a.example:80/s, wss://b.example/s', '--signal', 'WS://A.EXAMPLE/s', '--signal', 'ws://c.example:9000']
    expect(optionsOf(argv).signal).toEqual(['ws://a.example/s', 'wss://b.example/s', 'ws://c.example:9000/'])
  })

  it('needs a signaling URL unless it serves its own endpoint', () => {
    expect(errorOf([])).toMatch(/--signal.*--port/)
    expect(optionsOf(['--port', '8787'])).toMatchObject({ signal: [], port: 8787 })
  })

  it('refuses signaling URLs that are not ws:// or wss://', () => {
    for (const url of ['http://a.example/signal', 'a.example:8080', 'not a url', '', 'ws://a,', 'ws://a.example/#x', 'file:///signal', 'ws://']) {
      expect(errorOf(['--signal', url]), url).toMatch(/--signal/)
    }
  })

  it(`refuses more than ${BOUNDS.signalUrls} signaling URLs`, () => {
    const urls = Array.from({ length: BOUNDS.signalUrls + 1 }, (_, i) => `ws://host${i}.example/signal`)
    expect(errorOf(['--signal', urls.join(',')])).toMatch(/at most/)
    expect(optionsOf(['--signal', urls.slice(1).join(',')]).signal).toHaveLength(BOUNDS.signalUrls)
    // With --port its own endpoint is one of the URLs a peer enters through.
    expect(errorOf(['--port', '0', '--signal', urls.slice(1).join(',')])).toMatch(/with --port/)
    expect(optionsOf(['--port', '0', '--signal', urls.slice(2).join(',')]).signal).toHaveLength(BOUNDS.signalUrls - 1)
  })

  it('refuses numbers that are negative, fractional, not numbers or out of range', () => {
    const bad: [string, string][] = [
      ['--port', '-1'],
      ['--port', '65536'],
      ['--port', '1e3'],
      ['--port', '80.5'],
      ['--port', ''],
      ['--count', '0'],
      ['--count', String(BOUNDS.count.max + 1)],
      ['--count', '99999999999999999999999'],
      ['--k', '0'],
      ['--k', String(BOUNDS.k.max + 1)],
      ['--k', 'twenty'],
      ['--budget', '0'],
      ['--budget', '0x10'],
      ['--budget', ' 5'],
      ['--ice-port', '65536'],
      ['--ice-port', '4e4'],
    ]
    for (const [flag, value] of bad) expect(errorOf(['--port=1', `${flag}=${value}`]), `${flag}=${value}`).toMatch(new RegExp(`${flag} must be a whole number`))
    expect(errorOf(['--port', '-1'])).toMatch(/--port/) // node:util sees a flag where the value should be
  })

  it('gives each peer its own ICE port from --ice-port on, and refuses one that runs past 65535', () => {
    expect(optionsOf(['--port', '0', '--count', '3', '--ice-port', '65533']).icePort).toBe(65_533)
    expect(errorOf(['--port', '0', '--count', '3', '--ice-port', '65534'])).toMatch(/--ice-port 65534 leaves no port for peer 2/)
    expect(optionsOf(['--port', '0', '--count', '500', '--ice-port', '0']).icePort).toBe(0)
  })

  it('accepts the bounds themselves', () => {
    const { min, max } = BOUNDS.count
    expect(optionsOf(['--port', '65535', '--count', String(max), '--k', String(BOUNDS.k.max), '--budget', '1'])).toMatchObject({ port: 65535, count: max })
    expect(optionsOf(['--port', '0', '--count', String(min)]).count).toBe(min)
  })

  it('refuses unknown flags, positional arguments and missing values', () => {
    expect(errorOf(['--port', '1', '--verbose'])).toMatch(/verbose/)
    expect(errorOf(['--port', '1', 'extra'])).toMatch(/extra/)
    expect(errorOf(['--port'])).toMatch(/port/)
    expect(errorOf(['--port', '1', '--quiet=yes'])).toMatch(/quiet/)
    expect(errorOf(['--port', '1', '--data', ''])).toMatch(/--data/)
    expect(errorOf(['--port', '1', '--host', ' '])).toMatch(/--host/)
  })

  it('answers --help without asking for anything else', () => {
    expect(optionsOf(['--help']).help).toBe(true)
    expect(optionsOf(['-h']).help).toBe(true)
  })
})

describe('HELP', () => {
  it('lists every option with its default', () => {
    for (const flag of ['--signal', '--data', '--port', '--host', '--count', '--k', '--budget', '--loopback', '--quiet', '--help']) expect(HELP).toContain(flag)
    for (const value of Object.values(DEFAULTS)) expect(HELP).toContain(`default: ${value}`)
    expect(HELP).toContain(SIGNAL_PATH)
  })
})

describe('peerDataDir', () => {
  it('uses the data directory itself for one peer and a numbered subdirectory for each of several', () => {
    expect(peerDataDir({ data: 'd', count: 1 }, 0)).toBe('d')
    expect(peerDataDir({ data: 'd', count: 3 }, 2)).toBe(join('d', '2'))
  })
})
