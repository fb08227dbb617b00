/**
 * A process's peers as Prometheus metric families (the signaling server's `formatMetrics` turns
 * them into text): gauges of what they hold now, counters since they started, and drops and
 * closes by reason. Summed over the peers given, so the number of series does not grow with
 * them; every label value comes from a fixed set (the transport's reasons, the core's error codes).
 */
import type { NodeStats } from '@browser-dht/kademlia'
import type { MetricFamily, MetricSample } from '@browser-dht/signaling-server'
import type { TransportStats } from '@browser-dht/webrtc-transport'
import type { Peer } from './peer.ts'

/** What one scrape reads of a peer, once. */
interface Snapshot {
  node: NodeStats
  transport: TransportStats
}

type Gauge = readonly [name: string, help: string, of: (peer: Snapshot) => number]

const GAUGES: readonly Gauge[] = [
  ['dht_connections', 'Open connections (WebRTC data channels and direct links).', (peer) => peer.transport.open],
  ['dht_connections_connecting', 'Connections being set up.', (peer) => peer.transport.connecting],
  ['dht_contacts', 'Contacts in the routing tables.', (peer) => peer.node.peers],
  ['dht_records', 'Records held for the DHT.', (peer) => peer.node.records],
  ['dht_stored_bytes', 'Bytes of records held.', (peer) => peer.node.storedBytes],
  ['dht_published', 'Records these peers published themselves.', (peer) => peer.node.published],
  ['dht_requests_in_flight', 'DHT requests waiting for an answer.', (peer) => peer.node.inflightRequests],
]

const COUNTERS: readonly Gauge[] = [
  ['dht_requests_sent_total', 'DHT requests sent.', (peer) => peer.node.requestsSent],
  ['dht_requests_served_total', 'DHT requests answered.', (peer) => peer.node.requestsServed],
  ['dht_requests_slow_total', 'DHT requests lookups stopped waiting on before they settled (slow).', (peer) => peer.node.slowRequests],
  ['dht_connections_created_total', 'Connections created.', (peer) => peer.transport.connectionsCreated],
  ['dht_direct_links_opened_total', 'Direct links (a WebSocket to another Node peer) opened.', (peer) => peer.transport.directOpened],
  ['dht_relays_forwarded_total', 'Relayed frames passed on for others.', (peer) => peer.transport.relaysForwarded],
  ['dht_signals_sent_total', 'Connection signals sent (through the overlay or a server).', (peer) => peer.transport.signalsSent],
]

type ByReason = readonly [name: string, help: string, of: (peer: Snapshot) => Record<string, number>]

const BY_REASON: readonly ByReason[] = [
  ['dht_drops_total', 'Frames and messages the transport did not pass on, by reason.', (peer) => peer.transport.dropped],
  ['dht_closes_total', 'Connections closed, by reason.', (peer) => peer.transport.closed],
  ['dht_direct_rejected_total', 'Direct-link handshakes and frames rejected, by reason.', (peer) => peer.transport.directRejected],
  ['dht_refused_stores_total', 'STOREs refused, by error code.', (peer) => peer.node.refusedStores],
  ['dht_rejected_input_total', 'Input from peers rejected, by error code.', (peer) => peer.node.rejected],
]

const sum = (peers: readonly Snapshot[], of: (peer: Snapshot) => number): number => peers.reduce((total, peer) => total + of(peer), 0)

/** The families of a process's `/metrics` for `peers` (closed ones are left out). */
export function peerMetrics(all: readonly Peer[]): MetricFamily[] {
  const peers = all.filter((peer) => !peer.closed).map((peer): Snapshot => ({ node: peer.node.stats(), transport: peer.transport.stats() }))
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
