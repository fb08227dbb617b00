/**
 * `window.__dht`: a small hook for benchmarks and tests that drive many tabs. It does what the
 * Put/Get form does (same TabNode calls), without the DOM, and reports timings. It adds no power
 * a user of the page does not have.
 */
import { idFromHex, keyOf, toHex } from '@browser-dht/kademlia'
import { TransportError } from '@browser-dht/webrtc-transport'
import type { TabNode } from './dht/tab-node.ts'
import type { DhtHook, HookOpResult, HookStatus } from './hook-types.ts'

export type { DhtHook, HookOpResult, HookStatus }

export function installHook(tab: TabNode): DhtHook {
  let firstPeerAt: number | undefined = tab.transport.stats().open > 0 ? performance.now() : undefined
  const tableSizeAt: (number | undefined)[] = []
  const noteSize = (): void => {
    const size = tab.node.table.size
    for (let n = 0; n <= size; n++) tableSizeAt[n] ??= performance.now()
  }
  noteSize()
  tab.transport.on('peer:connected', () => {
    firstPeerAt ??= performance.now()
  })
  tab.node.on('peer:added', noteSize)

  const hook: DhtHook = {
    async put(name, value) {
      const started = performance.now()
      const { holders, trace } = await tab.put(name, new TextEncoder().encode(value))
      const ms = performance.now() - started
      return { ms, lookupMs: trace.durationMs, rounds: trace.rounds, messages: trace.messages, failures: trace.failures, slowRequests: trace.slowRequests, holders: holders.length }
    },
    async get(name) {
      const started = performance.now()
      const result = await tab.get(name)
      const ms = performance.now() - started
      const local = result.from !== undefined && toHex(result.from) === toHex(tab.identity.id)
      return {
        ms,
        rounds: result.trace.rounds,
        messages: result.trace.messages,
        failures: result.trace.failures,
        slowRequests: result.trace.slowRequests,
        holders: result.value === undefined ? 0 : 1,
        local,
        ...(result.from === undefined ? {} : { from: toHex(result.from) }),
        ...(result.value === undefined ? {} : { value: new TextDecoder().decode(result.value) }),
      }
    },
    async ping(peerHex) {
      const started = performance.now()
      const ok = await tab.node.ping(idFromHex(peerHex))
      return ok ? performance.now() - started : undefined
    },
    async probe(peerHex) {
      try {
        return { ms: await tab.transport.probe(idFromHex(peerHex)) }
      } catch (error) {
        return { error: error instanceof TransportError ? error.code : String(error) }
      }
    },
    counters() {
      return { transport: tab.transport.stats(), node: tab.node.stats() }
    },
    holds(name) {
      const meta = tab.node.records.meta(keyOf(name))
      return meta !== undefined && meta.expiresAt > Date.now()
    },
    status() {
      const open = tab.transport.peers().filter((peer) => peer.state === 'open')
      const stats = tab.transport.stats()
      return {
        id: toHex(tab.identity.id),
        peers: open.length,
        openPeers: open.map((peer) => toHex(peer.id)),
        contacts: tab.node.table.size,
        records: tab.node.records.count,
        heartbeatRttMs: open.flatMap((peer) => (peer.rttMs === undefined ? [] : [peer.rttMs])),
        firstPeerAt,
        tableSizeAt: [...tableSizeAt],
        budget: tab.transport.options.maxConnections,
        peakConnections: stats.peakConnections,
        connectionsCreated: stats.connectionsCreated,
        signalsViaServer: stats.signalsViaServer,
        signalsViaOverlay: stats.signalsViaOverlay,
      }
    },
  }
  window.__dht = hook
  return hook
}
