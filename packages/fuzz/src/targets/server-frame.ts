/**
 * What the signaling server sends a tab: `parseServerFrame` (the client's parser, which trusts the
 * server no more than the server trusts clients) on JSON text mutated from every server frame.
 */
import { parseServerFrame } from '@browser-dht/signaling-server/protocol'
import { JsonInputs } from '../inputs/json.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, invariant, showText } from '../target.ts'
import { checkCode, checkData, isHex, jsonOf, LIMITS, serverCorpus } from './signaling-corpus.ts'

/** The longest error code and message a client accepts (fixed by the protocol, PROTOCOL.md). */
const MAX_CODE_CHARS = 64
const MAX_MESSAGE_CHARS = 500

/** A list of distinct node IDs, each as sent. */
function checkIds(ids: readonly string[], sent: unknown): void {
  invariant(ids.every((id) => isHex(id, 20)) && new Set(ids).size === ids.length, 'accepted a peer list with a bad or repeated ID')
  invariant(JSON.stringify(ids) === JSON.stringify(sent), 'the peers accepted are not the ones sent')
}

/**
 * What must hold of an accepted frame: the input is within the frame size, and each field the
 * frame's type has is well formed and as sent (unknown fields are ignored, by design).
 */
export function checkServerFrame(text: string, result: ReturnType<typeof parseServerFrame>): string {
  if (!result.ok) return checkCode(result.error.code)
  invariant(Buffer.byteLength(text) <= LIMITS.maxFrameBytes, `accepted a frame of ${Buffer.byteLength(text)} bytes`)
  const sent = jsonOf(text)
  const { frame } = result
  invariant(sent !== undefined && sent.type === frame.type, 'accepted a frame of another type than was sent')
  switch (frame.type) {
    case 'challenge':
      invariant(isHex(frame.nonce, 32) && frame.nonce === sent.nonce, 'accepted a bad nonce')
      break
    case 'registered':
      invariant(isHex(frame.id, 20) && frame.id === sent.id, 'accepted a bad id')
      checkIds(frame.peers, sent.peers)
      break
    case 'peers':
      checkIds(frame.peers, sent.peers)
      break
    case 'signal':
      invariant(isHex(frame.from, 20) && frame.from === sent.from, 'accepted a signal with a bad "from"')
      checkData(frame.data, sent.data)
      break
    case 'error':
      invariant(frame.code.length >= 1 && frame.code.length <= MAX_CODE_CHARS && frame.code === sent.code, 'accepted a bad error code')
      invariant(frame.message.length <= MAX_MESSAGE_CHARS && frame.message === sent.message, 'accepted a bad error message')
      invariant(frame.peer === undefined ? sent.peer === undefined : isHex(frame.peer, 20) && frame.peer === sent.peer, 'accepted a bad peer')
      break
  }
  return 'ok'
}

export const serverFrame: FuzzTarget = {
  name: 'server-frame',
  boundary: 'parseServerFrame (signaling-server/src/protocol/parse-server-frame.ts)',
  async open(seed) {
    const rng = new Rng(seed)
    const inputs = new JsonInputs(rng, serverCorpus(rng), seed)
    let last = ''
    return {
      feed() {
        last = inputs.text()
        return checkServerFrame(last, parseServerFrame(last, LIMITS))
      },
      lastInput: () => showText(last),
      finish: async () => [],
      close: async () => {},
    }
  },
}
