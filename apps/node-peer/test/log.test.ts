import { keyOf, toHex } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { createLogger, formatLine, type Level, NO_PEER } from '../src/log.ts'

const TIME = Date.UTC(2025, 0, 2, 3, 4, 5, 678)

function captured(quiet = false) {
  const lines: { line: string; level: Level }[] = []
  const logger = createLogger({ quiet, now: () => TIME, write: (line, level) => lines.push({ line, level }) })
  return { logger, lines }
}

describe('createLogger', () => {
  it('prints one line per event: ISO time, peer short ID, event, details', () => {
    const { logger, lines } = captured()
    const id = keyOf('peer')
    logger.forPeer(id).info('connected', { peer: 'abcd', count: 3, ok: true, skipped: undefined })
    logger.info('listening', { url: 'ws://127.0.0.1:8787/signal' })
    expect(lines).toEqual([
      { line: `2025-01-02T03:04:05.678Z ${toHex(id).slice(0, 8)} connected peer=abcd count=3 ok=true`, level: 'info' },
      { line: `2025-01-02T03:04:05.678Z ${NO_PEER} listening url=ws://127.0.0.1:8787/signal`, level: 'info' },
    ])
  })

  it('marks warnings and errors, and --quiet silences only info lines', () => {
    const { logger, lines } = captured(true)
    logger.info('hidden')
    logger.forPeer(keyOf('p')).info('hidden too')
    logger.warn('store-rejected', { files: 2 })
    logger.error('failed', { reason: 'disk full' })
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error'])
    expect(lines[0]!.line).toMatch(/^\S+ - WARN store-rejected files=2$/)
    expect(lines[1]!.line).toMatch(/ ERROR failed reason="disk full"$/)
  })
})

describe('formatLine', () => {
  it('quotes values so that a line stays one line and splits on spaces', () => {
    const line = formatLine({ time: TIME, peer: 'abcd1234', level: 'info', event: 'got', details: { text: 'two\nlines', eq: 'a=b', empty: '', quote: '"' } })
    expect(line).toBe('2025-01-02T03:04:05.678Z abcd1234 got text="two\\nlines" eq="a=b" empty="" quote="\\""')
    expect(line).not.toContain('\n')
  })
})
