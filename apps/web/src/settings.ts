/**
 * The one parser for the page's URL query, the settings a user or a test can change without a
 * rebuild. Unknown or bad values never break the page: each becomes a plain-words warning and
 * its default is used.
 *
 *   ?signal=ws://127.0.0.1:8787/signal  signaling server (default: the one that served the page);
 *                                       repeat it (up to 8) to enter through several servers
 *   &k=20                               bucket size and replication factor (1–64)
 *   &alpha=3                            lookup parallelism (1–16)
 *   &loopback=1                         keep only 127.0.0.1 ICE candidates (tests)
 *   &replicate=3600                     seconds between replication passes (1–86400)
 *   &republish=43200                    seconds between republishing this tab's records (1–86400)
 *   &refresh=3600                       seconds after which an unused bucket is refreshed (1–86400)
 *   &budget=32                          most WebRTC connections this tab holds (2–200)
 *   &paths=8                            disjoint paths of a get or put lookup (1–16)
 */
import { MAX_SIGNAL_URLS, parseSignalUrl } from '@browser-dht/peer'

export interface Settings {
  /** Signaling servers, at least one, at most `MAX_SIGNAL_URLS`, no duplicates. */
  signals: string[]
  k: number
  alpha: number
  loopback: boolean
  /** Seconds between replication passes (the core's `replicateIntervalMs`). */
  replicate: number
  /** Seconds between republishing the records this tab published (`republishIntervalMs`). */
  republish: number
  /** Seconds after which a bucket with no lookup is refreshed (`refreshIntervalMs`). */
  refresh: number
  /** Most peer connections at once (the transport's `maxConnections`). */
  budget: number
  /** Disjoint paths per lookup (the core's `disjointPaths`). */
  paths: number
}


export interface SettingsResult {
  settings: Settings
  /** One sentence per value that was ignored, for the page to show. */
  warnings: string[]
}

const KNOWN = new Set(['signal', 'k', 'alpha', 'loopback', 'replicate', 'republish', 'refresh', 'budget', 'paths'])

/** The maintenance intervals, in seconds: from one second (tests) to one day. */
const MAX_INTERVAL_SECONDS = 86_400

function integer(raw: string, name: string, min: number, max: number, warnings: string[]): number | undefined {
  const value = Number(raw)
  if (/^\d+$/.test(raw) && value >= min && value <= max) return value
  warnings.push(`The setting ${name}=${raw} was ignored: it must be a whole number from ${min} to ${max}.`)
  return undefined
}

function flag(raw: string, name: string, warnings: string[]): boolean | undefined {
  if (raw === '1' || raw === 'true' || raw === '') return true
  if (raw === '0' || raw === 'false') return false
  warnings.push(`The setting ${name}=${raw} was ignored: use 1 or 0.`)
  return undefined
}

function signalUrl(raw: string, warnings: string[]): string | undefined {
  const parsed = parseSignalUrl(raw)
  if ('url' in parsed) return parsed.url
  warnings.push(`The signaling address "${raw.slice(0, 80)}" was ignored: it ${parsed.problem}.`)
  return undefined
}

/** Parses `search` (a URL's query string) on top of `defaults`. Never throws. */
export function parseSettings(search: string, defaults: Settings): SettingsResult {
  const warnings: string[] = []
  const settings = { ...defaults }
  const signals: string[] = []
  const params = new URLSearchParams(search.length > 2000 ? '' : search)
  if (search.length > 2000) warnings.push('The address is too long; every setting in it was ignored.')
  for (const [name, raw] of params) {
    if (!KNOWN.has(name)) {
      warnings.push(`The setting "${name.slice(0, 40)}" is not known and was ignored.`)
      continue
    }
    if (name === 'signal') {
      const url = signalUrl(raw, warnings)
      if (url !== undefined && signals.length >= MAX_SIGNAL_URLS) {
        warnings.push(`The signaling address "${url.slice(0, 80)}" was ignored: at most ${MAX_SIGNAL_URLS} are used.`)
      } else if (url !== undefined && !signals.includes(url)) {
        signals.push(url)
      }
    }
    if (name === 'budget') settings.budget = integer(raw, 'budget', 2, 200, warnings) ?? settings.budget
    if (name === 'paths') settings.paths = integer(raw, 'paths', 1, 16, warnings) ?? settings.paths
    if (name === 'k') settings.k = integer(raw, 'k', 1, 64, warnings) ?? settings.k
    if (name === 'alpha') settings.alpha = integer(raw, 'alpha', 1, 16, warnings) ?? settings.alpha
    if (name === 'loopback') settings.loopback = flag(raw, 'loopback', warnings) ?? settings.loopback
    if (name === 'replicate' || name === 'republish' || name === 'refresh') {
      settings[name] = integer(raw, name, 1, MAX_INTERVAL_SECONDS, warnings) ?? settings[name]
    }
  }
  if (signals.length > 0) settings.signals = signals
  return { settings, warnings }
}

/** The signaling endpoint of the server that served the page: same host, path /signal. */
export function defaultSignalUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/signal`
}
