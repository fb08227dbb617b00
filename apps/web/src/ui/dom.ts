/** Small DOM helpers: look up the page's fixed elements, build rows. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page has no #${id}`)
  return element as T
}

/** A table row of text cells (text only: nothing is parsed as HTML). */
export function row(cells: readonly (string | HTMLElement)[], attrs: Record<string, string> = {}): HTMLTableRowElement {
  const tr = document.createElement('tr')
  for (const [name, value] of Object.entries(attrs)) tr.setAttribute(name, value)
  for (const cell of cells) {
    const td = document.createElement('td')
    td.append(cell)
    tr.append(td)
  }
  return tr
}

export function code(text: string, title?: string): HTMLElement {
  const element = document.createElement('code')
  element.textContent = text
  if (title !== undefined) element.title = title
  return element
}
