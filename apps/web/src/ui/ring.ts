/**
 * The keyspace as a ring: every 160-bit ID sits at the angle of its first 32 bits (clockwise from
 * the top), so IDs with a long common prefix (XOR-close) sit side by side. Shows this node, its
 * contacts (filled when a data channel is open), the keys of the records it holds, and the last
 * lookup: its target and a line to every peer it asked, darker for later rounds.
 */
const SVG = 'http://www.w3.org/2000/svg'
const SIZE = 360
const CENTER = SIZE / 2
const RADIUS = 140

export interface RingModel {
  self: string
  contacts: { hex: string; connected: boolean }[]
  records: string[]
  lookup: { target: string; asked: { hex: string; round: number; outcome: 'answered' | 'value' | 'failed' }[] } | undefined
}

/** Position on the ring, 0 ≤ f < 1, from an ID's first 32 bits (hex). */
export function ringFraction(hex: string): number {
  const head = Number.parseInt(hex.slice(0, 8).padEnd(8, '0'), 16)
  return Number.isFinite(head) ? head / 2 ** 32 : 0
}

export function ringPoint(fraction: number, radius = RADIUS): { x: number; y: number } {
  const angle = fraction * 2 * Math.PI - Math.PI / 2
  return { x: round(CENTER + radius * Math.cos(angle)), y: round(CENTER + radius * Math.sin(angle)) }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, title?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name)
  for (const [attr, value] of Object.entries(attrs)) node.setAttribute(attr, String(value))
  if (title !== undefined) {
    const t = document.createElementNS(SVG, 'title')
    t.textContent = title
    node.append(t)
  }
  return node
}

/** One sentence for screen readers. */
export function describeRing(model: RingModel): string {
  const open = model.contacts.filter((c) => c.connected).length
  const lookup = model.lookup === undefined ? 'No lookup yet.' : `The last lookup asked ${model.lookup.asked.length} peer(s).`
  return `Keyspace ring: this node, ${model.contacts.length} contact(s) (${open} connected), ${model.records.length} record key(s). ${lookup}`
}

export function createRing(): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, role: 'img', 'aria-labelledby': 'ring-title ring-desc', class: 'ring' })
  svg.dataset.testid = 'keyspace-ring'
  return svg
}

export function renderRing(svg: SVGSVGElement, model: RingModel): void {
  const title = el('title', { id: 'ring-title' })
  title.textContent = 'Keyspace ring by ID prefix'
  const desc = el('desc', { id: 'ring-desc' })
  desc.textContent = describeRing(model)
  const parts: SVGElement[] = [title, desc, el('circle', { cx: CENTER, cy: CENTER, r: RADIUS, class: 'ring-track' })]
  for (const [label, f] of [['0x0', 0], ['0x4', 0.25], ['0x8', 0.5], ['0xc', 0.75]] as const) {
    const p = ringPoint(f, RADIUS + 24)
    const text = el('text', { x: p.x, y: p.y + 4, class: 'ring-tick', 'text-anchor': 'middle' })
    text.textContent = label
    parts.push(el('line', { ...lineEnds(f, RADIUS - 5, RADIUS + 5), class: 'ring-tick-line' }), text)
  }
  const self = ringPoint(ringFraction(model.self))
  if (model.lookup !== undefined) parts.push(...lookupParts(model.lookup, self))
  for (const key of model.records) {
    parts.push(el('line', { ...lineEnds(ringFraction(key), RADIUS + 7, RADIUS + 15), class: 'ring-record' }, `record ${key}`))
  }
  for (const contact of model.contacts) {
    const p = ringPoint(ringFraction(contact.hex))
    const cls = contact.connected ? 'ring-peer connected' : 'ring-peer'
    parts.push(el('circle', { cx: p.x, cy: p.y, r: 6, class: cls }, `${contact.connected ? 'connected peer' : 'contact'} ${contact.hex}`))
  }
  parts.push(el('circle', { cx: self.x, cy: self.y, r: 9, class: 'ring-self' }, `this node ${model.self}`))
  svg.replaceChildren(...parts)
}

function lineEnds(fraction: number, inner: number, outer: number): Record<string, number> {
  const a = ringPoint(fraction, inner)
  const b = ringPoint(fraction, outer)
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y }
}

function lookupParts(lookup: NonNullable<RingModel['lookup']>, self: { x: number; y: number }): SVGElement[] {
  const parts: SVGElement[] = []
  const maxRound = Math.max(1, ...lookup.asked.map((step) => step.round))
  for (const step of lookup.asked) {
    const p = ringPoint(ringFraction(step.hex))
    const opacity = 0.35 + 0.65 * (step.round / maxRound)
    parts.push(
      el('line', { x1: self.x, y1: self.y, x2: p.x, y2: p.y, class: `ring-path ${step.outcome}`, 'stroke-opacity': round(opacity) }, `round ${step.round}: ${step.outcome}`),
    )
  }
  const t = ringPoint(ringFraction(lookup.target))
  parts.push(el('path', { d: `M ${t.x} ${t.y - 9} l 9 9 l -9 9 l -9 -9 z`, class: 'ring-target' }, `lookup target ${lookup.target}`))
  return parts
}
