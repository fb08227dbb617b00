/**
 * A process's peers as Prometheus metric families (the signaling server's `formatMetrics` turns
 * them into text): gauges of what they hold now, counters since they started, and drops and
 * closes by reason. Summed over the peers given, so the number of series does not grow with
 * them; every label value comes from a fixed set (the transport's reasons, the core's error codes).
 */
import type { MetricFamily, MetricSample } from '@browser-dht/signaling-server'
import type { Peer } from './peer.ts'

type Gauge = readonly [name: string, help: string, of: (peer: Peer) => number]

const GAUGES: readonly Gauge[] = [
  ['dht_connections', 'Open WebRTC data channels.', (peer) => peer.transport.stats().open],
  ['dht_connections_connecting', 'WebRTC connections being set up.', (peer) => peer.transport.stats().connecting],
  ['dht_contacts', 'Contacts in the routing tables.', (peer) => peer.node.table.size],
  ['dht_records', 'Records held for the DHT.', (peer) => peer.node.records.count],
  ['dht_stored_bytes', 'Bytes of records held.', (peer) => peer.node.stats().storedBytes],
  ['dht_published', 'Records these peers published themselves.', (peer) => peer.node.stats().published],
  ['dht_requests_in_flight', 'DHT requests waiting for an answer.', (peer) => peer.node.stats().inflightRequests],
]

const COUNTERS: readonly Gauge[] = [
  ['dht_requests_sent_total', 'DHT requests sent.', (peer) => peer.node.stats().requestsSent],
  ['dht_requests_served_total', 'DHT requests answered.', (peer) => peer.node.stats().requestsServed],
  ['dht_connections_created_total', 'WebRTC connections created.', (peer) => peer.transport.stats().connectionsCreated],
  ['dht_relays_forwarded_total', 'Relayed frames passed on for others.', (peer) => peer.transport.stats().relaysForwarded],
  ['dht_signals_sent_total', 'Connection signals sent (through the overlay or a server).', (peer) => peer.transport.stats().signalsSent],
]

type ByReason = readonly [name: string, help: string, of: (peer: Peer) => Record<string, number>]

const BY_REASON: readonly ByReason[] = [
  ['dht_drops_total', 'Frames and messages the transport did not pass on, by reason.', (peer) => peer.transport.stats().dropped],
  ['dht_closes_total', 'Connections closed, by reason.', (peer) => peer.transport.stats().closed],
  ['dht_refused_stores_total', 'STOREs refused, by error code.', (peer) => peer.node.stats().refusedStores],
  ['dht_rejected_input_total', 'Input from peers rejected, by error code.', (peer) => peer.node.stats().rejected],
]

const sum = (peers: readonly Peer[], of: (peer: Peer) => number): number => peers.reduce((total, peer) => total + of(peer), 0)

/** The families of a process's `/metrics` for `peers` (closed ones are left out). */
export function peerMetrics(all: readonly Peer[]): MetricFamily[] {
  const peers = all.filter((peer) => !peer.closed)
  const families: MetricFamily[] = [{ name: 'dht_peers', type: 'gauge', help: 'DHT peers running in this process.', samples: [{ value: peers.length }] }]
  for (const [name, help, of] of GAUGES) families.push({ name, help, type: 'gauge', samples: [{ value: sum(peers, of) }] })
  for (const [name, help, of] of COUNTERS) families.push({ name, help, type: 'counter', samples: [{ value: sum(peers, of) }] })
  for (const [name, help, of] of BY_REASON) {
    const totals = new Map<string, number>()
    for (const peer of peers) for (const [reason, count] of Object.entries(of(peer))) totals.set(reason, (totals.get(reason) ?? 0) + count)
    const samples: MetricSample[] = [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([reason, value]) => ({ labels: { reason }, value }))
    families.push({ name, help, type: 'counter', samples })
  }
  return families
}
