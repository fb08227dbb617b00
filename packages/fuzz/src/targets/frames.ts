/** The data channel's one frame parser, on its own: `parseFrame` turns anything into a frame or a drop reason. */
import { DEFAULT_WIRE_LIMITS } from '@browser-dht/kademlia'
import { parseFrame } from '@browser-dht/webrtc-transport/internals'
import { ByteInputs, shaped } from '../inputs/bytes.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showBytes } from '../target.ts'
import { dhtMessages } from './dht-corpus.ts'
import { checkFrame, frameCorpus, plainRelays, transportLimits } from './frame-corpus.ts'

/** What a channel might hand over that is not bytes (simple-peer can deliver strings). */
const NOT_BYTES: readonly unknown[] = [undefined, null, 'ping', 42, new ArrayBuffer(8), [1, 0, 0, 0, 0], { length: 5 }]

export const frames: FuzzTarget = {
  name: 'frames',
  boundary: 'parseFrame (webrtc-transport/src/wire/frames.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const limits = transportLimits()
    const inputs = new ByteInputs(rng, frameCorpus(rng, dhtMessages(rng, DEFAULT_WIRE_LIMITS), plainRelays(rng)))
    let last: Uint8Array = new Uint8Array(0)
    return {
      feed() {
        if (rng.chance(0.001)) {
          last = new Uint8Array(0)
          const result = parseFrame(rng.pick(NOT_BYTES), limits.maxMessageBytes, limits.maxRelayBodyBytes)
          invariant(!result.ok, 'accepted something that is not bytes as a frame')
          return result.reason
        }
        last = shaped(inputs.next(), rng)
        return checkFrame(last, parseFrame(last, limits.maxMessageBytes, limits.maxRelayBodyBytes), limits)
      },
      lastInput: () => showBytes(last),
      finish: async () => [],
      close: async () => {},
    }
  },
}
