/**
 * The Put / Get / Remove form: checks the input, runs the request with a progress line, and shows
 * every publisher's value (this tab's marked), the lookup trace or the error in plain words.
 */
import { idFromHex, type LookupTrace, type NamedValue, toHex } from '@browser-dht/kademlia'
import type { TabNode } from '../dht/tab-node.ts'
import { byId, code, row } from './dom.ts'
import type { PageView } from './view.ts'
import { checkRequest, describeError, formatBytes, formatCount, notFound, shortId } from './words.ts'

/** A key typed as `#` and 40 hex digits names an immutable item by its hash. */
const IMMUTABLE_KEY = /^#([0-9a-f]{40})$/i

export class KeyValueForm {
  readonly #key = byId<HTMLInputElement>('key-input')
  readonly #value = byId<HTMLTextAreaElement>('value-input')
  readonly #buttons = ['put-button', 'get-button', 'remove-button', 'put-immutable-button'].map((id) => byId<HTMLButtonElement>(id))
  #busy = false

  constructor(
    readonly tab: TabNode,
    readonly view: PageView,
  ) {
    byId('value-limit').textContent = formatBytes(tab.node.options.maxValueBytes)
    byId('kv-form').addEventListener('submit', (event) => event.preventDefault())
    byId('put-button').addEventListener('click', () => void this.#run('put'))
    byId('get-button').addEventListener('click', () => void this.#run('get'))
    byId('remove-button').addEventListener('click', () => void this.#run('remove'))
    byId('put-immutable-button').addEventListener('click', () => void this.#run('immutable'))
  }

  async #run(kind: 'put' | 'get' | 'remove' | 'immutable'): Promise<void> {
    if (this.#busy) return
    // An immutable put needs no name: its key is the hash of the value.
    const rawKey = kind === 'immutable' ? 'immutable' : this.#key.value
    const checked = checkRequest(rawKey, kind === 'put' || kind === 'immutable' ? this.#value.value : undefined, {
      maxValueBytes: this.tab.node.options.maxValueBytes,
    })
    this.#clear()
    if (!checked.ok) {
      this.#error(checked.message, kind === 'put' && checked.message.startsWith('The value') ? this.#value : this.#key)
      return
    }
    const { name, value } = checked
    const busy = {
      put: `Signing “${name}” and storing it on the nodes closest to its key…`,
      get: `Looking up “${name}”…`,
      remove: `Removing this tab’s value under “${name}”…`,
      immutable: 'Storing the value under the hash of its content…',
    }
    this.#setBusy(busy[kind])
    try {
      const hash = IMMUTABLE_KEY.exec(name)?.[1]
      if (kind === 'immutable') {
        const { holders, key, trace } = await this.tab.putImmutable(value)
        this.#key.value = `#${toHex(key)}`
        this.#result(`Stored an immutable value (${formatBytes(value.length)}) on ${holders.length} node(s). Its key is #${toHex(key)}: the hash of its content, so nobody can change it.`, [], trace)
      } else if (kind === 'get' && hash !== undefined) {
        const result = await this.tab.getImmutable(idFromHex(hash.toLowerCase()))
        if (result.value === undefined) this.#error(notFound(name), this.#key)
        else this.#result(`Found the immutable value #${hash}: its content matches its key.`, [], result.trace, new TextDecoder().decode(result.value))
      } else if (kind === 'put') {
        const { holders, trace } = await this.tab.put(name, value)
        const self = holders.some((id) => toHex(id) === toHex(this.tab.identity.id))
        this.#result(
          `Stored “${name}” as this tab’s value (${formatBytes(value.length)}, signed: only this tab can change or remove it) on ${holders.length} node(s)${self ? ', this tab included' : ''}.`,
          [],
          trace,
        )
      } else if (kind === 'remove') {
        const { holders, trace } = await this.tab.remove(name)
        this.#result(`Removed this tab’s value under “${name}” on ${holders.length} node(s). Other tabs’ values under it stay.`, [], trace)
      } else {
        const result = await this.tab.get(name)
        if (result.value === undefined) this.#error(notFound(name), this.#key)
        const from = result.from === undefined ? '' : toHex(result.from)
        const where = from === toHex(this.tab.identity.id) ? 'the newest in this tab’s own store too' : `the newest at node ${shortId(from)}`
        const count = result.values.length === 1 ? 'one publisher’s value' : `${result.values.length} publishers’ values`
        if (result.value !== undefined) this.#result(`Found “${name}”: ${count}, ${where}.`, result.values, result.trace)
        else this.#result(`Nothing stored under “${name}”.`, [], result.trace)
      }
    } catch (error) {
      const state = this.tab.signalingState
      this.#error(describeError(error, { serverUnreachable: state.kind === 'unreachable', signalUrl: this.view.signalUrl }), undefined)
    } finally {
      this.#setBusy(undefined)
      this.view.render(this.tab)
    }
  }

  #clear(): void {
    byId('op-error').replaceChildren()
    this.#key.removeAttribute('aria-invalid')
    this.#value.removeAttribute('aria-invalid')
  }

  #setBusy(text: string | undefined): void {
    this.#busy = text !== undefined
    for (const button of this.#buttons) button.disabled = this.#busy
    const status = byId('op-status')
    if (text === undefined) return status.replaceChildren()
    const progress = document.createElement('progress')
    progress.setAttribute('aria-label', 'working')
    status.replaceChildren(progress, ` ${text}`)
  }

  #error(message: string, field: HTMLElement | undefined): void {
    const p = document.createElement('p')
    p.textContent = message
    byId('op-error').replaceChildren(p)
    if (field !== undefined) field.setAttribute('aria-invalid', 'true')
  }

  #result(summary: string, values: readonly NamedValue[], trace: LookupTrace, text?: string): void {
    byId('result').hidden = false
    byId('result-summary').textContent = summary
    // The newest value alone, as text, then every publisher's in a table.
    const shown = text ?? (values.length === 0 ? undefined : new TextDecoder().decode(values[0]!.value))
    const valueBox = byId('result-value')
    valueBox.hidden = shown === undefined
    valueBox.textContent = shown ?? ''
    byId('result-values-box').hidden = values.length === 0
    byId('result-values').replaceChildren(
      ...values.map((v) => {
        const hex = toHex(v.publisher)
        const tr = row([v.own ? 'this tab' : code(shortId(hex), hex), new TextDecoder().decode(v.value.subarray(0, 500)), String(v.seq), 'signature checked ✓'])
        if (v.own) tr.dataset.own = 'true'
        return tr
      }),
    )
    const facts: [string, string][] = [
      ['Rounds', String(trace.rounds)],
      ['Peers asked', String(trace.nodesAsked)],
      ['Requests', String(trace.messages)],
      ['Failed', String(trace.failures)],
      ['Forged or stale answers', `${trace.invalidRecords} / ${trace.staleAnswers}`],
      ['Time', `${formatCount(Math.round(trace.durationMs))} ms`],
    ]
    byId('lookup-trace').replaceChildren(
      ...facts.map(([term, detail]) => {
        const div = document.createElement('div')
        const dt = document.createElement('dt')
        dt.textContent = term
        const dd = document.createElement('dd')
        dd.textContent = detail
        dd.dataset.testid = `trace-${term.toLowerCase().replace(' ', '-')}`
        div.append(dt, dd)
        return div
      }),
    )
    const steps = [...trace.steps].sort((a, b) => a.round - b.round || a.sentAt - b.sentAt)
    byId('trace-steps').replaceChildren(
      ...steps.map((step) => {
        const hex = toHex(step.peer)
        return row([String(step.round), code(shortId(hex), hex), step.outcome, `${Math.round(step.settledAt - step.sentAt)} ms`])
      }),
    )
    byId('trace-steps-box').hidden = steps.length === 0
    this.view.setLookup({
      target: toHex(trace.target),
      asked: steps.map((step) => ({ hex: toHex(step.peer), round: step.round, outcome: step.outcome })),
    })
  }
}
