/**
 * Who a client is, for the per-address caps: its IP address (the TCP peer's, or with
 * `trustProxy` the last X-Forwarded-For entry) and its network, the /24 of an IPv4 address or
 * the /48 of an IPv6 one. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address.
 */
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export interface ClientAddress {
  /** Dotted IPv4, or IPv6 as eight 4-digit lowercase hex groups; `unknown` if there is none. */
  readonly ip: string
  /** `1.2.3.0/24`, `2001:0db8:0001::/48`, or `unknown`. */
  readonly network: string
}

const UNKNOWN: ClientAddress = Object.freeze({ ip: 'unknown', network: 'unknown' })

/**
 * The client's address. With `trustProxy`, the last X-Forwarded-For entry: the one the proxy in
 * front appended (entries before it are whatever the client sent). Without the header, or if its
 * last entry is not an IP address, the TCP peer's address.
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: boolean): ClientAddress {
  const forwarded = trustProxy ? lastForwarded(request.headers['x-forwarded-for']) : undefined
  return (forwarded === undefined ? undefined : addressOf(forwarded)) ?? addressOf(request.socket.remoteAddress ?? '') ?? UNKNOWN
}

/** The address and network of an IP address in any usual notation, or undefined if it is none. */
export function addressOf(text: string): ClientAddress | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 4) return { ip: bare, network: `${bare.split('.').slice(0, 3).join('.')}.0/24` }
  if (family !== 6) return undefined
  const groups = expandIpv6(bare)
  if (groups.slice(0, 5).every((group) => group === '0000') && groups[5] === 'ffff') {
    const [high, low] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)]
    return addressOf(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`)
  }
  return { ip: groups.join(':'), network: `${groups.slice(0, 3).join(':')}::/48` }
}

function lastForwarded(header: string | string[] | undefined): string | undefined {
  // Node joins repeated X-Forwarded-For headers with ", ", but the type allows a list.
  const joined = Array.isArray(header) ? header.join(',') : header
  return joined?.split(',').at(-1)
}

/** The eight groups of a valid IPv6 address (as `isIP` accepts it), 4 lowercase hex digits each. */
function expandIpv6(text: string): string[] {
  let address = text
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = address.split('::')
  const front = head === '' ? [] : head.split(':')
  const back = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? 0 : 8 - front.length - back.length
  return [...front, ...Array<string>(zeros).fill('0'), ...back].map((group) => group.toLowerCase().padStart(4, '0'))
}
