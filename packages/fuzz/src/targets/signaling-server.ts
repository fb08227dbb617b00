/**
 * A real signaling server's dispatch, through its socket: a server on 127.0.0.1 (port 0) with two
 * registered clients, the attacker and the victim. The attacker sends mutated client frames as
 * WebSocket text (and some as binary); every frame must be answered once (an error or `peers`) or
 * relayed once to the victim, as a frame the client's own parser accepts, naming the attacker as
 * its sender. The rate limit and the strike limit are lifted so the frames reach the parser and
 * the handlers (abuse.test.ts tests those limits). Frames above `maxPayloadBytes`, which `ws`
 * answers by closing the socket (1009), are cut to fit.
 */
import { toHex } from '@browser-dht/kademlia'
import { createSignalingServer, DEFAULTS } from '@browser-dht/signaling-server'
import { identityFromSecretKey } from '@browser-dht/identity/noble'
import { parseServerFrame, SignalingErrorCode } from '@browser-dht/signaling-server/protocol'
import { JsonInputs } from '../inputs/json.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, InvariantError, showText } from '../target.ts'
import { clientCorpus, LIMITS, jsonOf } from './signaling-corpus.ts'
import { checkServerFrame } from './server-frame.ts'
import { RawSocket, until } from './ws-client.ts'

const BATCH = 64
const TIMEOUT_MS = 5000
const UNLIMITED = 1_000_000_000

export const signalingServer: FuzzTarget = {
  name: 'signaling-server',
  boundary: 'WebSocket text → signaling server hub → dispatch (signaling-server/src/server/)',
  async open(seed) {
    const rng = new Rng(seed)
    const internal: string[] = []
    const server = await createSignalingServer({
      port: 0,
      host: '127.0.0.1',
      log: (line) => void (line.includes(SignalingErrorCode.INTERNAL) && internal.push(line)),
      rateBurst: UNLIMITED,
      ratePerSecond: UNLIMITED,
      maxStrikes: UNLIMITED,
      // Its two clients have seeded random identities (repeatable runs), which the puzzle refuses.
      idPuzzleBits: 0,
    })
    const [attackerIdentity, victimIdentity] = [identityFromSecretKey(rng.bytes(32)), identityFromSecretKey(rng.bytes(32))]
    const attacker = await RawSocket.register(server.url(), attackerIdentity)
    const victim = await RawSocket.register(server.url(), victimIdentity)
    const [attackerId, victimId] = [toHex(attackerIdentity.id), toHex(victimIdentity.id)]
    // Signals to the victim, to the attacker itself, and to an ID nobody registered.
    const inputs = new JsonInputs(rng, clientCorpus(rng, [victimId, victimId, attackerId, toHex(rng.bytes(20))]), seed)

    const outcomes: Record<string, number> = {}
    const count = (outcome: string): void => void (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1)
    /** Frames sent, and frames answered or relayed, since the start; broken invariants found on the way. */
    let sent = 0
    let settled = 0
    let sentinel = 0
    let sentinelSeen = 0
    const broken: string[] = []
    attacker.onFrame = (text) => {
      settled++
      const frame = jsonOf(text)
      const code = typeof frame?.code === 'string' ? frame.code : undefined
      if (frame?.type === 'peers') count('ok')
      else if (frame?.type === 'error' && code !== undefined) count(code)
      else broken.push(`the attacker got ${text.slice(0, 80)}`)
    }
    victim.onFrame = (text) => {
      const frame = jsonOf(text)
      const data = frame?.data as { sentinel?: unknown } | undefined
      if (frame?.from === attackerId && typeof data?.sentinel === 'number') {
        sentinelSeen = data.sentinel
        return
      }
      settled++
      count('ok')
      try {
        checkServerFrame(text, parseServerFrame(text, LIMITS))
        if (frame?.type !== 'signal' || frame.from !== attackerId) broken.push(`the victim got ${text.slice(0, 80)}`)
      } catch (error) {
        broken.push(`relayed a frame the client refuses: ${String(error)}`)
      }
    }

    let last = ''
    return {
      settleEvery: BATCH,
      feed() {
        last = inputs.text()
        if (Buffer.byteLength(last) > DEFAULTS.maxPayloadBytes) last = last.slice(0, DEFAULTS.maxPayloadBytes / 4)
        attacker.send(last, rng.chance(0.03))
        sent++
        return undefined
      },
      async settle() {
        attacker.send(JSON.stringify({ type: 'signal', to: victimId, data: { sentinel: ++sentinel } }))
        const found: string[] = []
        await until(() => sentinelSeen === sentinel && settled >= sent, TIMEOUT_MS, 'answers').catch(() => found.push(`${sent - settled} frames neither answered nor relayed`))
        if (attacker.closedWith !== undefined) throw new InvariantError(`the server closed the attacker's socket (${attacker.closedWith})`)
        found.push(...broken.splice(0), ...internal.splice(0))
        if (settled > sent) found.push(`${settled - sent} answers more than frames sent`)
        settled = sent
        if (found.length > 0) throw new InvariantError(found.join('; '))
      },
      lastInput: () => showText(last),
      outcomes: () => outcomes,
      async finish() {
        const violations: string[] = []
        const late = await RawSocket.register(server.url(), identityFromSecretKey(rng.bytes(32))).catch(() => undefined)
        if (late === undefined) return ['the server no longer registers a new client']
        let relayed = false
        victim.onFrame = (text) => void (relayed ||= jsonOf(text)?.type === 'signal')
        late.send(JSON.stringify({ type: 'signal', to: victimId, data: { still: 'serving' } }))
        await until(() => relayed, TIMEOUT_MS, 'a relay').catch(() => violations.push('the server no longer relays a signal'))
        await late.close()
        return violations
      },
      async close() {
        await Promise.all([attacker.close(), victim.close()])
        await server.close()
      },
    }
  },
}
