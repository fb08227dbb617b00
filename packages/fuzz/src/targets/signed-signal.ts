/**
 * Signed signals, the way they arrive: `openSignal` on bytes (from an overlay relay), and
 * `signalDataBytes` on a JSON value from a signaling server followed by `openSignal` on what it
 * gives (the transport's path for signals from a server). The bytes are mutations of signals three
 * signers really signed for the victim (and one for someone else); the values are mutations of
 * `{ v: 3, signed }` and random JSON. One signature check in 4 gets a token from the budget, so
 * bad signatures are both checked and refused for the budget's sake.
 */
import { idEquals, keyOf, VirtualClock } from '@browser-dht/kademlia'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import {
  DEFAULTS,
  maxSignedBytes,
  nobleSuite,
  type OpenContext,
  openSignal,
  type OpenResult,
  parseSignal,
  ReplayWindows,
  signalData,
  signalDataBytes,
} from '@browser-dht/webrtc-transport/internals'
import { ByteInputs } from '../inputs/bytes.ts'
import { JsonInputs } from '../inputs/json.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showBytes, showText } from '../target.ts'
import { sealedSignals, signer } from './sealed.ts'

const SIGNERS = 3
const MAX_BYTES = maxSignedBytes(DEFAULTS.maxSignalBytes)
/** The clock of the victim: signals are made at its start and opened within the age limit. */
const START_MS = 1_700_000_000_000

/**
 * What must hold of an accepted signal: it was signed by the sender the carrier named, under a key
 * that hashes to that ID, within the age limit, with an envelope that parses within its limits;
 * and no (sender, seq) is accepted twice.
 */
function checkOpened(result: OpenResult, context: OpenContext, bytes: Uint8Array, accepted: Set<string>): string {
  if (!result.ok) return result.reason
  const { from, publicKey, seq, signal } = result.opened
  invariant(bytes.length <= MAX_BYTES, `accepted a signal of ${bytes.length} bytes`)
  invariant(idEquals(from, context.claimed) && idEquals(keyOf(publicKey), from), 'accepted a signal from someone other than its carrier named')
  invariant(Math.abs(context.now - seq / 1000) <= context.maxAuthAgeMs, 'accepted an expired signal')
  invariant(parseSignal(signal, context.maxSignalBytes).ok, 'accepted an envelope its own parser refuses')
  const key = `${Buffer.from(from).toString('hex')}/${seq}`
  invariant(!accepted.has(key), 'accepted the same signal twice (a replay)')
  accepted.add(key)
  return 'ok'
}

export const signedSignal: FuzzTarget = {
  name: 'signed-signal',
  boundary: 'signalDataBytes + openSignal (webrtc-transport/src/signaling/signed-signal.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const clock = new VirtualClock(START_MS)
    const victim = identityFromSecretKey(rng.bytes(32))
    const signers = Array.from({ length: SIGNERS }, () => signer(identityFromSecretKey(rng.bytes(32)), clock))
    const sealed = [
      ...(await Promise.all(signers.map((s) => sealedSignals(rng, s, victim.id)))).flat(),
      ...(await sealedSignals(rng, signers[0]!, rng.bytes(20))),
    ]
    const bytes = new ByteInputs(rng, { valid: sealed, lengths: [0, 1, 150, 200, MAX_BYTES, MAX_BYTES - 64] })
    const values = new JsonInputs(rng, { valid: sealed.map(signalData), limits: [] }, seed)
    // Base64 of random bytes around the size limit: `signed` strings just under, at and over it.
    const nearLimit = (): unknown => signalData(rng.bytes(MAX_BYTES + rng.between(-3, 3)))
    const replay = new ReplayWindows(64, 64)
    const suite = nobleSuite(victim)
    const accepted = new Set<string>()
    let last = ''
    return {
      async feed() {
        let input: Uint8Array | undefined
        if (rng.chance(0.3)) {
          const value = rng.chance(0.1) ? nearLimit() : values.value()
          last = `value ${showText(JSON.stringify(value) ?? String(value))}`
          input = signalDataBytes(value, MAX_BYTES)
          if (input === undefined) return 'not signal data'
          invariant(input.length <= MAX_BYTES, `signalDataBytes gave ${input.length} bytes, over its maxBytes ${MAX_BYTES}`)
        } else {
          input = bytes.next()
          last = showBytes(input)
        }
        const context: OpenContext = {
          self: victim.id,
          claimed: rng.chance(0.9) ? rng.pick(signers).identity.id : rng.bytes(20),
          now: clock.now() + rng.between(-5, 5),
          maxSignalBytes: DEFAULTS.maxSignalBytes,
          maxAuthAgeMs: DEFAULTS.maxAuthAgeMs,
          idPuzzleBits: rng.chance(0.05) ? 8 : 0,
          replay,
          suite,
          budget: () => rng.chance(1 / 4),
        }
        return checkOpened(await openSignal(input, context), context, input, accepted)
      },
      lastInput: () => last,
      finish: async () => [],
      close: async () => {},
    }
  },
}
