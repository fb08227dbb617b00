/**
 * Which direct-link URLs a node dials. The URL comes in a signed signal, so its sender is known,
 * but it is the sender's choice: without a rule, any node could make every Node peer it signals
 * open a TCP connection to any host and port, an intranet service's included. So a URL is dialed
 * only if it is `ws://` or `wss://` to an IPv4 address written out (no name: a name could resolve
 * anywhere, and change between the check and the dial), with an explicit port and no path, user,
 * query or fragment; and the address is
 *   - with `loopbackOnly`: 127.0.0.1 (tests), nothing else;
 *   - else a public one, unless `privateNetworks` allows the private and loopback ranges too
 *     (a LAN of Node peers). Never 0.0.0.0/8, link-local, multicast or reserved.
 */
import { LOOPBACK_ADDRESS } from '../signaling/loopback.ts'

export interface DirectUrlPolicy {
  loopbackOnly: boolean
  /** Also dial 10/8, 172.16/12, 192.168/16, 100.64/10 and 127/8. */
  privateNetworks: boolean
}

const URL_PATTERN = /^wss?:\/\/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})\/?$/

/** Why `url` is not dialed, or undefined when it may be. */
export function directUrlProblem(url: string, policy: DirectUrlPolicy): string | undefined {
  const match = URL_PATTERN.exec(url)
  if (match === null) return 'not ws:// or wss:// to an IPv4 address and port'
  const octets = match.slice(1, 5).map(Number)
  const port = Number(match[5])
  if (octets.some((octet) => octet > 255) || port === 0 || port > 65_535) return 'address or port out of range'
  const [a, b] = octets as [number, number]
  if (policy.loopbackOnly) return octets.join('.') === LOOPBACK_ADDRESS ? undefined : 'not 127.0.0.1 (loopbackOnly)'
  if (a === 0 || (a === 169 && b === 254) || a >= 224) return 'a reserved, link-local or multicast address'
  const isPrivate = a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b < 128)
  return isPrivate && !policy.privateNetworks ? 'a private address (privateNetworks is off)' : undefined
}
