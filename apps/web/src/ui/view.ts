/**
 * Renders a tab's node onto the page: status bar, connection message, peers, routing table,
 * records and the keyspace ring. Called on every node event and once a second.
 */
import { publisherOf, toHex } from '@browser-dht/kademlia'
import type { TabNode } from '../dht/tab-node.ts'
import type { SignalingState } from '@browser-dht/peer'
import { byId, code, row } from './dom.ts'
import { createRing, renderRing, type RingModel } from './ring.ts'
import { formatDuration, refusedSummary, shortId } from './words.ts'

const MAX_ROWS = 100

export class PageView {
  readonly #ring = createRing()
  #recordsSignature = ''
  #lookup: RingModel['lookup'] = undefined

  constructor(readonly signalUrl: string) {
    byId('ring-slot').append(this.#ring)
  }

  showWarnings(warnings: readonly string[]): void {
    const box = byId('settings-warnings')
    box.hidden = warnings.length === 0
    const list = document.createElement('ul')
    for (const warning of warnings) {
      const item = document.createElement('li')
      item.textContent = warning
      list.append(item)
    }
    box.replaceChildren(list)
  }

  showFatal(message: string): void {
    const box = byId('connection-message')
    box.hidden = false
    box.className = 'notice error'
    box.textContent = message
  }

  setLookup(lookup: RingModel['lookup']): void {
    this.#lookup = lookup
  }

  render(tab: TabNode): void {
    const id = toHex(tab.identity.id)
    byId('node-id').textContent = id
    const stats = tab.transport.stats()
    byId('peer-count').textContent = String(stats.open)
    byId('record-count').textContent = String(tab.node.records.count)
    this.#renderSignaling(tab.signalingState, tab)
    this.#renderPeers(tab)
    this.#renderBuckets(tab)
    this.#renderRecords(tab)
    const open = new Set(tab.transport.peers().filter((p) => p.state === 'open').map((p) => toHex(p.id)))
    const contacts = tab.node.table.buckets().flatMap((bucket) => bucket.contacts.map((c) => toHex(c.id)))
    for (const hex of open) if (!contacts.includes(hex)) contacts.push(hex)
    renderRing(this.#ring, {
      self: id,
      contacts: contacts.map((hex) => ({ hex, connected: open.has(hex) })),
      records: tab.node.records.metas(Date.now()).slice(0, 500).map((meta) => toHex(meta.key)),
      lookup: this.#lookup,
    })
  }

  #renderSignaling(state: SignalingState, tab: TabNode): void {
    const badge = byId('signaling-status')
    const message = byId('connection-message')
    const peers = tab.transport.stats().open
    const words: Record<SignalingState['kind'], string> = {
      connecting: 'connecting…',
      connected: 'connected',
      unreachable: 'unreachable',
      replaced: 'taken over by another tab',
    }
    badge.textContent = words[state.kind]
    badge.className = `badge ${state.kind}`
    let text = ''
    if (state.kind === 'unreachable') {
      const inSeconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))
      text = `The signaling server at ${this.signalUrl} is unreachable, so this tab cannot meet new peers. Trying again ${inSeconds > 0 ? `in ${inSeconds} s` : 'now'}…`
      if (peers > 0) text += ` The ${peers} peer connection(s) already open keep working.`
    } else if (state.kind === 'replaced') {
      text = 'Another tab registered this node ID with the signaling server, so this tab stopped. Reload it to start as a new node.'
    } else if (state.kind === 'connected' && tab.node.table.size === 0) {
      text = 'Connected to the signaling server. Waiting for other tabs: open this page in another tab or browser to form a network.'
    }
    message.hidden = text === ''
    message.className = state.kind === 'connected' ? 'notice' : 'notice error'
    message.textContent = text
  }

  #renderPeers(tab: TabNode): void {
    const peers = tab.transport.peers().slice(0, MAX_ROWS)
    const rows = peers.map((peer) => {
      const hex = toHex(peer.id)
      return row(
        [code(shortId(hex), hex), peer.state, peer.initiator ? 'this tab' : 'the peer', lastUse(peer.lastUsed, peer.rttMs)],
        { 'data-peer': hex, 'data-state': peer.state },
      )
    })
    byId('peer-rows').replaceChildren(...rows)
    byId('peers-empty').hidden = rows.length > 0
    const stats = tab.transport.stats()
    const manager = tab.connections.stats()
    byId('peer-budget').textContent =
      `${tab.transport.peers().length} of at most ${tab.transport.options.maxConnections} connections ` +
      `(${manager.wantedConnected} of the ${manager.wanted} this tab wants for its buckets). ` +
      `Other nodes are reached through these peers: ${stats.relaysSent} message(s) relayed for this tab, ` +
      `${stats.relaysForwarded} passed on for others; ${stats.signalsViaOverlay} connection signal(s) went through the overlay, ` +
      `${stats.signalsViaServer} through a signaling server. ` +
      refusedSummary({
        relays: stats.dropped['relay-unauthenticated'],
        signals: Object.values(stats.signalsRejected).reduce((sum, n) => sum + n, 0),
        rateLimited: stats.relaysRejected['rate-limited'] + stats.signalsRejected['rate-limited'],
      })
  }

  #renderBuckets(tab: TabNode): void {
    const now = Date.now()
    const items = tab.node.table.buckets().map((bucket) => {
      const item = document.createElement('li')
      item.dataset.bucket = String(bucket.index)
      const head = document.createElement('span')
      head.className = 'bucket-head'
      const replacements = bucket.replacements > 0 ? `, ${bucket.replacements} waiting` : ''
      head.textContent = `Bucket ${bucket.index} — ${bucket.contacts.length} contact(s)${replacements}`
      const list = document.createElement('ul')
      for (const contact of bucket.contacts) {
        const hex = toHex(contact.id)
        const li = document.createElement('li')
        const seen = `seen ${formatDuration(now - contact.lastSeen)} ago${contact.failures > 0 ? `, ${contact.failures} failed` : ''}`
        li.append(code(shortId(hex), hex), ` ${seen}`)
        list.append(li)
      }
      item.append(head, list)
      return item
    })
    byId('buckets').replaceChildren(...items)
    byId('buckets-empty').hidden = items.length > 0
  }

  #renderRecords(tab: TabNode): void {
    const now = Date.now()
    const metas = tab.node.records.metas(now).slice(0, MAX_ROWS)
    const signature = metas.map((m) => `${toHex(m.key)}:${m.expiresAt}:${m.size}`).join(',') + `|${tab.names.size}`
    byId('records-empty').hidden = metas.length > 0
    if (signature === this.#recordsSignature) return this.#refreshExpiry(now)
    this.#recordsSignature = signature
    const own = toHex(tab.identity.id)
    const rows = metas.flatMap((meta) => {
      const hex = toHex(meta.key)
      return tab.node.records.read(meta.key, now).map(({ record, ttlMs }) => {
        const publisher = publisherOf(record)
        const who = publisher === undefined ? '—' : toHex(publisher) === own ? 'this tab' : shortId(toHex(publisher))
        const value = record.kind === 'named' && record.tombstone ? '(removed)' : new TextDecoder().decode(record.value.subarray(0, 200))
        const seq = record.kind === 'immutable' ? '—' : String(record.seq)
        const tr = row([code(shortId(hex), hex), tab.nameOf(meta.key) ?? '—', KIND_WORDS[record.kind], who, seq, value, formatDuration(ttlMs)], { 'data-key': hex })
        tr.dataset.expiresAt = String(now + ttlMs)
        return tr
      })
    })
    byId('record-rows').replaceChildren(...rows)
  }

  #refreshExpiry(now: number): void {
    for (const tr of byId('record-rows').querySelectorAll<HTMLTableRowElement>('tr[data-expires-at]')) {
      const cell = tr.cells[6]
      if (cell !== undefined) cell.textContent = formatDuration(Number(tr.dataset.expiresAt) - now)
    }
  }
}

/** The kinds of record, in plain words. */
const KIND_WORDS = { named: 'named value', mutable: 'mutable item (BEP 44)', immutable: 'immutable item (BEP 44)' } as const

function lastUse(lastUsed: number, rttMs: number | undefined): string {
  const rtt = rttMs === undefined ? '' : ` (ping ${rttMs.toFixed(1)} ms)`
  return lastUsed > 0 ? `${formatDuration(Date.now() - lastUsed)} ago${rtt}` : `never${rtt}`
}

/** Appends a timestamped line to the activity log (newest first, bounded). */
export function logLine(line: string): void {
  const log = byId('log')
  const item = document.createElement('li')
  const time = document.createElement('time')
  time.textContent = new Date().toLocaleTimeString('en-GB')
  item.append(time, ` ${line}`)
  log.prepend(item)
  while (log.children.length > 50) log.lastElementChild?.remove()
}
