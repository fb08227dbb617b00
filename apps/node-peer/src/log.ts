/**
 * A tiny logger: one line per event, `<ISO time> <peer> [WARN|ERROR] <event> key=value …`, where
 * `<peer>` is the first 8 hex digits of the peer's ID (or `-` for the process itself). Values with
 * spaces, quotes, `=` or control characters are JSON-quoted, so a line is always one line and
 * splits on spaces. `quiet` silences info lines; warnings and errors are always printed. Info goes
 * to stdout, warnings and errors to stderr.
 */
import { type Id, shortHex } from '@browser-dht/kademlia'

export type Level = 'info' | 'warn' | 'error'

/** Details of an event; `undefined` values are left out. */
export type Details = Readonly<Record<string, string | number | boolean | bigint | null | undefined>>

export interface Logger {
  info(event: string, details?: Details): void
  warn(event: string, details?: Details): void
  error(event: string, details?: Details): void
  /** A logger with the same settings whose lines carry this peer's short ID. */
  forPeer(id: Id): Logger
}

export interface LoggerOptions {
  /** Print warnings and errors only. Default false. */
  readonly quiet?: boolean
  /** The peer whose lines these are. Default: none (`-`). */
  readonly peer?: Id
  /** Where a finished line goes (no trailing newline). Default: info to stdout, the rest to stderr. */
  readonly write?: (line: string, level: Level) => void
  /** Wall-clock ms of each line. Default `Date.now`. */
  readonly now?: () => number
}

/** Shown in place of a peer ID on lines of the process itself. */
export const NO_PEER = '-'

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? writeToConsole
  const now = options.now ?? Date.now
  const peer = options.peer === undefined ? NO_PEER : shortHex(options.peer)
  const emit = (level: Level, event: string, details?: Details): void => {
    if (level === 'info' && options.quiet === true) return
    write(formatLine({ time: now(), peer, level, event, details }), level)
  }
  return {
    info: (event, details) => emit('info', event, details),
    warn: (event, details) => emit('warn', event, details),
    error: (event, details) => emit('error', event, details),
    forPeer: (id) => createLogger({ ...options, peer: id }),
  }
}

export interface LogLine {
  /** Wall-clock ms. */
  readonly time: number
  /** Short peer ID, or `NO_PEER`. */
  readonly peer: string
  readonly level: Level
  readonly event: string
  readonly details?: Details | undefined
}

/** One line, without a newline. */
export function formatLine({ time, peer, level, event, details }: LogLine): string {
  const parts = [new Date(time).toISOString(), peer]
  if (level !== 'info') parts.push(level.toUpperCase())
  parts.push(quoted(event))
  for (const [key, value] of Object.entries(details ?? {})) {
    if (value !== undefined) parts.push(`${quoted(key)}=${quoted(String(value))}`)
  }
  return parts.join(' ')
}

/** Safe to print bare: non-empty, no whitespace, quotes, `=`, backslash or control characters. */
const BARE = /^[^\s"'=\\\p{Cc}]+$/u

function quoted(text: string): string {
  return BARE.test(text) ? text : JSON.stringify(text)
}

function writeToConsole(line: string, level: Level): void {
  if (level === 'info') process.stdout.write(`${line}\n`)
  else process.stderr.write(`${line}\n`)
}
