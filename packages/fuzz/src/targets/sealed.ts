/**
 * Authenticated bodies an attacker can really make with its own key: DHT relay bodies sealed with
 * `RelayAuth.seal` (signed, and MAC'd once it knows the target's key) and signals signed with
 * `sealSignal`, every one fresh (its seq is the signer's clock now). The relay-auth, signed-signal
 * and transport targets mutate these.
 */
import { type Clock, DEFAULT_WIRE_LIMITS, encodeMessage, type Id, type Message } from '@browser-dht/kademlia'
import { type NodeIdentity } from '@browser-dht/identity'
import {
  AuthMode,
  DEFAULTS,
  nobleSuite,
  PeerKeys,
  RelayAuth,
  RelayKind,
  ReplayWindows,
  sealSignal,
  Sequencer,
  type SignalEnvelope,
} from '@browser-dht/webrtc-transport/internals'
import { Counters } from '../../../webrtc-transport/src/stats.ts'
import type { Rng } from '../inputs/rng.ts'
import { dhtMessages } from './dht-corpus.ts'
import type { RelayBody } from './frame-corpus.ts'

/** The largest SDP a transport with default options accepts (its `maxSignalBytes`). */
const MAX_SDP = 16 * 1024

export interface Signer {
  identity: NodeIdentity
  /** Seals DHT relay bodies from this identity. */
  auth: RelayAuth
  keys: PeerKeys
  sequencer: Sequencer
}

export function signer(identity: NodeIdentity, clock: Clock): Signer {
  const suite = nobleSuite(identity)
  const keys = new PeerKeys(identity.id, suite, 64)
  const auth = new RelayAuth({ identity, suite, keys, replay: new ReplayWindows(64, 64), clock, maxAgeMs: 600_000, idPuzzleBits: 0, presenceIntervalMs: DEFAULTS.presenceIntervalMs, presenceMaxAgeMs: DEFAULTS.relayMemoryMs, maxPresences: 64, counters: new Counters() })
  return { identity, auth, keys, sequencer: new Sequencer(clock) }
}

/** One signal of every kind, with SDPs and candidates up to the size limit. */
export function envelopes(rng: Rng): SignalEnvelope[] {
  const session = rng.int(2 ** 32)
  const sdp = (n: number): string => `v=0\r\no=- ${rng.int(1e9)} 2 IN IP4 127.0.0.1\r\n`.padEnd(n, 'a')
  return [
    { v: 1, session, kind: 'offer', sdp: sdp(600), first: true },
    { v: 1, session, kind: 'answer', sdp: sdp(MAX_SDP) },
    { v: 1, session, kind: 'candidate', candidate: 'candidate:1 1 UDP 2122260223 127.0.0.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    { v: 1, session, kind: 'candidate', candidate: '', sdpMid: null, sdpMLineIndex: null },
    { v: 1, session, kind: 'refuse' },
  ]
}

/** Fresh signed signals from `from` to `to`. */
export async function sealedSignals(rng: Rng, from: Signer, to: Id): Promise<Uint8Array[]> {
  const suite = nobleSuite(from.identity)
  return Promise.all(envelopes(rng).map((signal) => sealSignal(from.identity, suite, to, from.sequencer.next(), signal)))
}

/** DHT requests worth authenticating: the ones a node serves. */
function requests(rng: Rng): Message[] {
  return dhtMessages(rng, DEFAULT_WIRE_LIMITS).filter((m) => m.type === 'PING' || m.type === 'FIND_NODE' || m.type === 'FIND_VALUE' || (m.type === 'STORE' && m.record.value.length < 1000))
}

/**
 * Fresh DHT relay bodies from `from` to `to` (whose public key is `toKey`): signed ones, then,
 * once `from` has learned `toKey`, MAC'd ones.
 */
export async function sealedRelays(rng: Rng, from: Signer, to: Id, toKey: Uint8Array): Promise<RelayBody[]> {
  const out: RelayBody[] = []
  for (const mode of [AuthMode.SIGNATURE, AuthMode.MAC]) {
    if (mode === AuthMode.MAC) from.keys.learn(to, toKey)
    for (const message of requests(rng)) {
      const seq = from.sequencer.next()
      const body = await from.auth.seal({ target: to, seq, replyTo: 0 }, encodeMessage(message))
      out.push({ target: to, origin: from.identity.id, seq, replyTo: 0, kind: RelayKind.DHT, body })
    }
  }
  return out
}
