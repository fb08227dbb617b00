/** The DHT's one parser, on its own: `decodeMessage` turns any bytes into a message or a typed error. */
import { decodeMessage, DEFAULT_WIRE_LIMITS } from '@browser-dht/kademlia'
import { ByteInputs, shaped } from '../inputs/bytes.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showBytes } from '../target.ts'
import { checkDecoded, dhtCorpus } from './dht-corpus.ts'

/** Values that are not bytes at all (the parser is typed for bytes, but checks). */
const NOT_BYTES: readonly unknown[] = [undefined, null, 'ping', 42, new ArrayBuffer(8), [1, 2, 3, 4, 5, 6], { length: 6 }]

export const dhtCodec: FuzzTarget = {
  name: 'dht-codec',
  boundary: 'decodeMessage (kademlia/src/wire/codec.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const limits = DEFAULT_WIRE_LIMITS
    const inputs = new ByteInputs(rng, dhtCorpus(rng, limits))
    let last: Uint8Array = new Uint8Array(0)
    return {
      feed() {
        if (rng.chance(0.001)) {
          const odd = rng.pick(NOT_BYTES)
          last = new Uint8Array(0)
          const result = decodeMessage(odd as Uint8Array, limits)
          invariant(!result.ok, `accepted ${String(odd)} as a message`)
          return result.error.code
        }
        last = shaped(inputs.next(), rng)
        return checkDecoded(last, decodeMessage(last, limits), limits)
      },
      lastInput: () => showBytes(last),
      finish: async () => [],
      close: async () => {},
    }
  },
}
