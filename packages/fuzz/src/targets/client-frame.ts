/**
 * What clients send the signaling server: `parseClientFrame` on JSON text and on the bytes of a
 * WebSocket message (valid UTF-8 or not), mutated from register, signal and peers frames.
 */
import { parseClientFrame } from '@browser-dht/signaling-server'
import { JsonInputs } from '../inputs/json.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showBytes, showText } from '../target.ts'
import { checkCode, checkData, clientCorpus, isHex, jsonOf, LIMITS } from './signaling-corpus.ts'

const ALLOWED: Record<string, readonly string[]> = { register: ['type', 'publicKey', 'signature'], signal: ['type', 'to', 'data'], peers: ['type'] }

/**
 * What must hold of an accepted frame: the input is within the frame size; it has exactly the
 * fields its type allows, each as sent and well formed (lowercase hex of the right length, data
 * within its limits).
 */
function checkAccepted(text: string, result: ReturnType<typeof parseClientFrame>): string {
  if (!result.ok) return checkCode(result.error.code)
  invariant(Buffer.byteLength(text) <= LIMITS.maxFrameBytes, `accepted a frame of ${Buffer.byteLength(text)} bytes`)
  const sent = jsonOf(text)
  const { frame } = result
  invariant(sent !== undefined && sent.type === frame.type, 'accepted a frame of another type than was sent')
  invariant(Object.keys(sent).every((key) => ALLOWED[frame.type]!.includes(key)), `accepted a ${frame.type} frame with a field it does not allow`)
  if (frame.type === 'register') {
    invariant(isHex(frame.publicKey, 32) && isHex(frame.signature, 64), 'accepted a register frame with a bad key or signature field')
    invariant(frame.publicKey === sent.publicKey && frame.signature === sent.signature, 'the register fields accepted are not the ones sent')
  }
  if (frame.type === 'signal') {
    invariant(isHex(frame.to, 20) && frame.to === sent.to, 'accepted a signal with a bad "to"')
    checkData(frame.data, sent.data)
  }
  return 'ok'
}

export const clientFrame: FuzzTarget = {
  name: 'client-frame',
  boundary: 'parseClientFrame (signaling-server/src/protocol/parse-client-frame.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const inputs = new JsonInputs(rng, clientCorpus(rng), seed)
    let last = ''
    return {
      feed() {
        last = inputs.text()
        const roll = rng.float()
        if (roll < 0.7) return checkAccepted(last, parseClientFrame(last, LIMITS))
        // As the bytes of a WebSocket message: the text's UTF-8, or bytes that may not be UTF-8.
        const bytes = roll < 0.9 ? Buffer.from(last) : Buffer.concat([Buffer.from(last.slice(0, rng.int(last.length + 1))), Buffer.from(rng.bytes(1 + rng.int(8)))])
        const result = parseClientFrame(bytes, LIMITS)
        if (!result.ok) return checkCode(result.error.code)
        last = showBytes(bytes)
        return checkAccepted(bytes.toString('utf8'), result)
      },
      lastInput: () => (last.includes(' bytes: ') ? last : showText(last)),
      finish: async () => [],
      close: async () => {},
    }
  },
}
