/**
 * The optional Origin allowlist. A browser sends the page's origin with every WebSocket
 * handshake and a page cannot forge it, so the list stops other web sites from using this server
 * from their visitors' browsers. It cannot stop a non-browser client, which may send any Origin
 * or none; so a handshake without an Origin header (Node peers, tools) is let through, and only
 * a present Origin that is not listed is refused.
 */
import { DhtError, ErrorCode } from '@browser-dht/kademlia'

/** True if a handshake with this Origin header (undefined: none) may go on. */
export type OriginCheck = (origin: string | undefined) => boolean

/** Without a list every origin passes; with one, an absent Origin or a listed one. Throws ERR_INVALID_OPTION for an entry that is no origin. */
export function originCheck(origins: readonly string[] | undefined): OriginCheck {
  if (origins === undefined) return () => true
  const allowed = new Set(normalizeOrigins(origins))
  return (origin) => origin === undefined || allowed.has(serialized(origin) ?? '')
}

/**
 * Each entry as a browser serializes an origin (`https://example.org`, `http://127.0.0.1:8080`:
 * lowercase, no default port, no path). Throws ERR_INVALID_OPTION for anything else.
 */
export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.map((entry) => {
    const origin = serialized(entry)
    if (origin === undefined) throw new DhtError(ErrorCode.INVALID_OPTION, `not an origin (scheme://host[:port]): ${JSON.stringify(entry.slice(0, 100))}`)
    return origin
  })
}

function serialized(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === ''
  return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined
}
