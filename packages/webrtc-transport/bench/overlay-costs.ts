/**
 * What reaching a node without a connection to it costs, the two ways: relay the request through
 * a connected peer, or connect on demand (signaled through the overlay). Three transports in one
 * Node process over real WebRTC (node-datachannel, 127.0.0.1 only): A and C are each connected to
 * B only.
 *
 *   npm run bench:overlay -- [--samples 200] [--connects 30] [--json]
 *
 * Prints the DHT PING round trip A→B (direct) and A→C (relayed through B, both ways), and the
 * time from `connect(C)` to an open channel with the signals relayed through B. With --json the
 * last line is one JSON object.
 */
import { parseArgs } from 'node:util'
import polyfill from 'node-datachannel/polyfill'
import { type Id, type Message, systemClock, toHex } from '@browser-dht/kademlia'
import { createIdentity, type NodeIdentity } from '@browser-dht/identity'
import { percentile } from '../../simulator/src/stats.ts'
import { MemorySignaling, nodePeerFactory, WebRtcTransport } from '../src/node.ts'

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '200' }, connects: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } },
})
const samples = Number(values.samples)
const connects = Number(values.connects)

const clock = systemClock()
const now = (): number => performance.now()
const signaling = new MemorySignaling()
const peerFactory = nodePeerFactory(polyfill)
const pending = new Map<number, () => void>()

function transport(identity: NodeIdentity): WebRtcTransport {
  const t = new WebRtcTransport({ identity, signalers: [signaling.signaler(identity.id)], peerFactory, loopbackOnly: true, iceServers: [], clock })
  t.listen({
    onMessage: (from, message) => {
      if (message.type === 'PING') t.send(from, { type: 'PONG', rid: message.rid })
      else if (message.type === 'PONG') pending.get(message.rid)?.()
    },
    onInvalid: () => {},
  })
  return t
}

let rid = 1
function roundTrip(from: WebRtcTransport, to: Id): Promise<number> {
  const id = rid++
  const started = now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no PONG')), 5000)
    pending.set(id, () => {
      clearTimeout(timer)
      pending.delete(id)
      resolve(now() - started)
    })
    from.send(to, { type: 'PING', rid: id } satisfies Message)
  })
}

function opened(t: WebRtcTransport, id: Id): Promise<void> {
  return new Promise((resolve) => {
    const off = t.on('peer:connected', (e) => {
      if (toHex(e.id) === toHex(id)) {
        off()
        resolve()
      }
    })
  })
}

const stat = (values: number[]): { p50: number; p99: number } => ({ p50: Number(percentile(values, 50).toFixed(2)), p99: Number(percentile(values, 99).toFixed(2)) })

async function main(): Promise<void> {
  const [a, b, c] = [transport(await createIdentity()), transport(await createIdentity()), transport(await createIdentity())]
  // A—B and C—B through the in-memory signaler (each has no other channel yet).
  a.connect(b.id)
  c.connect(b.id)
  await Promise.all([opened(a, b.id), opened(c, b.id)])
  const direct: number[] = []
  const relayed: number[] = []
  for (let i = 0; i < samples; i++) {
    direct.push(await roundTrip(a, b.id))
    relayed.push(await roundTrip(a, c.id))
  }
  const connectMs: number[] = []
  for (let i = 0; i < connects; i++) {
    const started = now()
    const open = opened(a, c.id)
    a.connect(c.id)
    await open
    connectMs.push(now() - started)
    a.disconnect(c.id)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  const stats = a.stats()
  const result = {
    samples,
    connects,
    directRttMs: stat(direct),
    relayedRttMs: stat(relayed),
    relayExtraMs: Number((percentile(relayed, 50) - percentile(direct, 50)).toFixed(2)),
    overlayConnectMs: stat(connectMs),
    signalsViaOverlay: stats.signalsViaOverlay,
    connectionsCreated: stats.connectionsCreated,
  }
  for (const t of [a, b, c]) t.close()
  console.log('reaching a node with no connection to it (3 transports in one Node process, loopback WebRTC)')
  console.log(`  direct DHT PING round trip          p50 ${result.directRttMs.p50} ms   p99 ${result.directRttMs.p99} ms`)
  console.log(`  relayed through one peer, both ways  p50 ${result.relayedRttMs.p50} ms   p99 ${result.relayedRttMs.p99} ms   (+${result.relayExtraMs} ms)`)
  console.log(`  connect on demand, signaled by relay p50 ${result.overlayConnectMs.p50} ms   p99 ${result.overlayConnectMs.p99} ms   (+1 RTCPeerConnection each)`)
  if (values.json) console.log(JSON.stringify(result))
  setTimeout(() => process.exit(0), 500)
}

void main()
