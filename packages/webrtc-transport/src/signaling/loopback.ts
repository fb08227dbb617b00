/**
 * The loopback-only ICE setting: keeps 127.0.0.1 candidates and drops every other one, in the
 * signals a transport sends and in those it receives, so that a test never makes a peer
 * connection try the machine's other addresses (or mDNS `.local` names).
 */
import type { SignalEnvelope } from './signal.ts'

export const LOOPBACK_ADDRESS = '127.0.0.1'

/**
 * True for an ICE candidate line whose connection address is 127.0.0.1. Accepts the line with or
 * without its `a=` prefix: `candidate:<foundation> <component> <transport> <priority> <address> <port> typ …`.
 */
export function isLoopbackCandidate(line: string): boolean {
  const fields = line.trim().replace(/^a=/, '').split(/\s+/)
  return fields[0]?.startsWith('candidate:') === true && fields[4] === LOOPBACK_ADDRESS
}

/** Removes every `a=candidate:` line that is not a 127.0.0.1 candidate from an SDP. */
export function loopbackSdp(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('a=candidate:') || isLoopbackCandidate(line))
    .join('\r\n')
}

/**
 * Applies the loopback rule to one envelope: a non-loopback candidate gives undefined (drop it);
 * an offer or answer keeps only its loopback candidate lines.
 */
export function loopbackOnly(signal: SignalEnvelope): SignalEnvelope | undefined {
  switch (signal.kind) {
    case 'candidate':
      return isLoopbackCandidate(signal.candidate) ? signal : undefined
    case 'offer':
    case 'answer':
      return { ...signal, sdp: loopbackSdp(signal.sdp) }
    case 'refuse':
    case 'direct':
    case 'direct-no':
      // A direct URL is checked where it is dialed (direct/url.ts), loopback rule included.
      return signal
  }
}
