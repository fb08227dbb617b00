/**
 * The command line of the Node peer, and its one parser. Every default is named once in
 * `DEFAULTS`, every bound once in `BOUNDS`; `HELP` is built from both. `parseArgs` never throws and
 * never exits: it answers the options or a message for the user, and the CLI decides what to do.
 */
import { join } from 'node:path'
import { parseArgs as parseNodeArgs } from 'node:util'
import { DEFAULTS as CORE_DEFAULTS, MAX_CONTACTS_PER_MESSAGE } from '@browser-dht/kademlia'
import { MAX_SIGNAL_URLS, parseSignalUrl } from '@browser-dht/peer'
import { DEFAULT_PATH } from '@browser-dht/signaling-server'

/** The defaults of every option that has one. */
export const DEFAULTS = {
  /** Directory of the identity and the records; with `count` > 1, peer i uses `<data>/<i>`. */
  data: './.dht-node',
  /** Address the own signaling endpoint (`--port`) listens on. */
  host: '127.0.0.1',
  /** Peers run in this process. */
  count: 1,
  /** Contacts per bucket and replicas per record: the core's k. */
  k: CORE_DEFAULTS.k,
  /** WebRTC connections each peer holds at most (as the WebRTC transport's `maxConnections` default). */
  budget: 32,
  /** The UDP port of the first peer's WebRTC connections (peer i uses this + i); 0: a free port for each. */
  icePort: 0,
} as const

/** The range of every numeric option, and of the list of signaling URLs. */
export const BOUNDS = {
  /** 0 lets the OS pick a free port. */
  port: { min: 0, max: 65_535 },
  count: { min: 1, max: 500 },
  /** The core refuses a k above the contacts one NODES answer carries. */
  k: { min: 1, max: MAX_CONTACTS_PER_MESSAGE },
  budget: { min: 1, max: 500 },
  /** 0 lets each peer take a free port; otherwise peer i takes icePort + i, which must stay ≤ 65,535. */
  icePort: { min: 0, max: 65_535 },
  /** Distinct `--signal` URLs: what a peer takes (`MAX_SIGNAL_URLS`), one fewer with `--port` (its own endpoint is one). */
  signalUrls: MAX_SIGNAL_URLS,
} as const

/** The path of the signaling endpoint this peer serves with `--port` (the signaling server's own default). */
export const SIGNAL_PATH = DEFAULT_PATH

export interface NodePeerOptions {
  /** Signaling servers to join through (ws:// or wss://, normalized, no duplicates); may be empty with `port`. */
  readonly signal: readonly string[]
  readonly data: string
  /** Serve a signaling endpoint (`SIGNAL_PATH`) on this port; undefined: serve none. */
  readonly port: number | undefined
  readonly host: string
  readonly count: number
  readonly k: number
  readonly budget: number
  /** The UDP port all of the first peer's WebRTC connections use (ICE UDP mux); peer i uses icePort + i; 0: a free one each. */
  readonly icePort: number
  /** Offer and accept only 127.0.0.1 ICE candidates (tests on one machine). */
  readonly loopback: boolean
  /**
   * Direct links to other Node peers (a WebSocket each instead of WebRTC): listen on this address
   * (a free port each); undefined: on 127.0.0.1 with `loopback`, else not (the peers still dial
   * those that listen). False with `--no-direct`: WebRTC only.
   */
  readonly direct: { readonly host: string | undefined } | false
  /** Print warnings and errors only. */
  readonly quiet: boolean
  /** Print `HELP` and exit; nothing else was checked. */
  readonly help: boolean
}

export type ParsedOptions = { readonly ok: true; readonly options: NodePeerOptions } | { readonly ok: false; readonly error: string }

/** One row of HELP: flag, what it does, its default ('' for none). */
const HELP_ROWS: readonly (readonly [string, string, string])[] = [
  ['--signal <url>', `signaling server to join (ws:// or wss://); repeatable or comma-separated, ≤ ${BOUNDS.signalUrls}`, 'none; needs --port then'],
  ['--data <dir>', 'identity and records directory; with --count > 1 peer i uses <dir>/<i>', DEFAULTS.data],
  ['--port <n>', `serve a signaling endpoint at ws://<host>:<n>${SIGNAL_PATH} (+ /healthz); ${BOUNDS.port.min}: a free port`, 'no endpoint'],
  ['--host <addr>', 'address that endpoint listens on', DEFAULTS.host],
  ['--count <n>', `peers to run in this process (${BOUNDS.count.min}-${BOUNDS.count.max})`, String(DEFAULTS.count)],
  ['--k <n>', `bucket size and replication factor (${BOUNDS.k.min}-${BOUNDS.k.max})`, String(DEFAULTS.k)],
  ['--budget <n>', `WebRTC connections per peer at most (${BOUNDS.budget.min}-${BOUNDS.budget.max})`, String(DEFAULTS.budget)],
  ['--ice-port <n>', `UDP port of all the first peer's WebRTC connections; peer i uses <n>+i; ${BOUNDS.icePort.min}: a free port each`, String(DEFAULTS.icePort)],
  ['--loopback', 'use only 127.0.0.1 ICE candidates (tests)', 'off'],
  ['--direct-host <ip>', 'listen for direct links from other Node peers (a WebSocket each, not WebRTC) on this IPv4 address, a free port each', '127.0.0.1 with --loopback, else none (dial only)'],
  ['--no-direct', 'no direct links: WebRTC to every peer', 'off'],
  ['--quiet', 'print warnings and errors only', 'off'],
  ['--help, -h', 'show this help', ''],
]

export const HELP = `Usage: node --conditions=source --import tsx apps/node-peer/src/cli.ts [options]

A headless browser-dht peer: joins the DHT over WebRTC like a browser tab, keeps its identity
and the records it holds on disk, and can serve a signaling endpoint so tabs enter through it.

Options:
${HELP_ROWS.map(([flag, text, value]) => `  ${flag.padEnd(16)} ${text}${value === '' ? '' : `\n  ${''.padEnd(16)} default: ${value}`}`).join('\n')}
`

const SPEC = {
  signal: { type: 'string', multiple: true },
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  count: { type: 'string' },
  k: { type: 'string' },
  budget: { type: 'string' },
  'ice-port': { type: 'string' },
  'direct-host': { type: 'string' },
  'no-direct': { type: 'boolean' },
  loopback: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The syntax pass: node:util's parser (throws on unknown flags, missing values, positionals). */
const parseSyntax = (argv: readonly string[]) => parseNodeArgs({ args: [...argv], options: SPEC, strict: true, allowPositionals: false })

type Values = ReturnType<typeof parseSyntax>['values']

/** A value that does not check out; caught in `parseArgs`, never escapes it. */
class OptionError extends Error {}

/** The options in `argv` (the arguments after the script, e.g. `process.argv.slice(2)`), or what is wrong with them. */
export function parseArgs(argv: readonly string[]): ParsedOptions {
  let values
  try {
    values = parseSyntax(argv).values
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
  try {
    return { ok: true, options: resolve(values) }
  } catch (error) {
    if (error instanceof OptionError) return { ok: false, error: error.message }
    throw error
  }
}


function resolve(values: Values): NodePeerOptions {
  const help = values.help === true
  const signal = signalUrls(values.signal ?? [])
  const port = values.port === undefined ? undefined : integer('port', values.port)
  if (!help && signal.length === 0 && port === undefined) {
    throw new OptionError('give --signal <url> to join a network, or --port <n> to serve an endpoint (or both)')
  }
  const count = values.count === undefined ? DEFAULTS.count : integer('count', values.count)
  const icePort = values['ice-port'] === undefined ? DEFAULTS.icePort : integer('ice-port', values['ice-port'])
  if (icePort > 0 && icePort + count - 1 > BOUNDS.icePort.max) {
    throw new OptionError(`--ice-port ${icePort} leaves no port for peer ${count - 1} (peer i uses --ice-port + i, at most ${BOUNDS.icePort.max})`)
  }
  if (port !== undefined && signal.length >= BOUNDS.signalUrls) {
    throw new OptionError(`at most ${BOUNDS.signalUrls - 1} --signal URLs with --port (its own endpoint is one of the ${BOUNDS.signalUrls} a peer enters through)`)
  }
  return {
    signal,
    data: nonEmpty('data', values.data ?? DEFAULTS.data),
    port,
    host: nonEmpty('host', values.host ?? DEFAULTS.host),
    count,
    k: values.k === undefined ? DEFAULTS.k : integer('k', values.k),
    budget: values.budget === undefined ? DEFAULTS.budget : integer('budget', values.budget),
    icePort,
    loopback: values.loopback === true,
    direct: direct(values),
    quiet: values.quiet === true,
    help,
  }
}

function direct(values: Values): NodePeerOptions['direct'] {
  const host = values['direct-host']
  if (values['no-direct'] === true) {
    if (host !== undefined) throw new OptionError('--direct-host and --no-direct exclude each other')
    return false
  }
  if (host !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) throw new OptionError(`--direct-host must be an IPv4 address, not ${JSON.stringify(host)}`)
  return { host }
}

function integer(name: 'port' | 'count' | 'k' | 'budget' | 'ice-port', text: string): number {
  const { min, max } = BOUNDS[name === 'ice-port' ? 'icePort' : name]
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new OptionError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`)
  }
  return value
}

function nonEmpty(name: string, text: string): string {
  if (text.trim() === '') throw new OptionError(`--${name} must not be empty`)
  return text
}

/** Every URL of every `--signal`, split at commas, checked, normalized and deduplicated. */
function signalUrls(given: readonly string[]): string[] {
  const urls = new Set<string>()
  for (const part of given.flatMap((text) => text.split(','))) urls.add(signalUrl(part.trim()))
  if (urls.size > BOUNDS.signalUrls) throw new OptionError(`at most ${BOUNDS.signalUrls} --signal URLs, got ${urls.size}`)
  return [...urls]
}

function signalUrl(text: string): string {
  if (text === '') throw new OptionError('--signal has an empty URL')
  const parsed = parseSignalUrl(text)
  if ('problem' in parsed) throw new OptionError(`--signal ${JSON.stringify(text)} ${parsed.problem}`)
  return parsed.url
}

/** The data directory of peer `index` (0-based): `data` itself for a single peer, `<data>/<index>` with `count` > 1. */
export function peerDataDir(options: Pick<NodePeerOptions, 'data' | 'count'>, index: number): string {
  return options.count === 1 ? options.data : join(options.data, String(index))
}
