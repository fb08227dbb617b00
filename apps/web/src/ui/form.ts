/**
 * The Put / Get form: checks the input, runs the request with a progress line, and shows the
 * value, the lookup trace or the error in plain words.
 */
import { type LookupTrace, toHex } from '@browser-dht/kademlia'
import type { TabNode } from '../dht/tab-node.ts'
import { byId, code, row } from './dom.ts'
import type { PageView } from './view.ts'
import { checkRequest, describeError, formatBytes, formatCount, notFound, shortId } from './words.ts'

export class KeyValueForm {
  readonly #key = byId<HTMLInputElement>('key-input')
  readonly #value = byId<HTMLTextAreaElement>('value-input')
  readonly #buttons = [byId<HTMLButtonElement>('put-button'), byId<HTMLButtonElement>('get-button')]
  #busy = false

  constructor(
    readonly tab: TabNode,
    readonly view: PageView,
  ) {
    byId('value-limit').textContent = formatBytes(tab.node.options.maxValueBytes)
    byId('kv-form').addEventListener('submit', (event) => event.preventDefault())
    byId('put-button').addEventListener('click', () => void this.#run('put'))
    byId('get-button').addEventListener('click', () => void this.#run('get'))
  }

  async #run(kind: 'put' | 'get'): Promise<void> {
    if (this.#busy) return
    const checked = checkRequest(this.#key.value, kind === 'put' ? this.#value.value : undefined, {
      maxValueBytes: this.tab.node.options.maxValueBytes,
    })
    this.#clear()
    if (!checked.ok) {
      this.#error(checked.message, kind === 'put' && checked.message.startsWith('The value') ? this.#value : this.#key)
      return
    }
    const { name, value } = checked
    this.#setBusy(kind === 'put' ? `Storing “${name}” on the nodes closest to its key…` : `Looking up “${name}”…`)
    try {
      if (kind === 'put') {
        const { holders, trace } = await this.tab.put(name, value)
        const self = holders.some((id) => toHex(id) === toHex(this.tab.identity.id))
        this.#result(`Stored “${name}” (${formatBytes(value.length)}) on ${holders.length} node(s)${self ? ', this tab included' : ''}.`, undefined, trace)
      } else {
        const result = await this.tab.get(name)
        if (result.value === undefined) this.#error(notFound(name), this.#key)
        const from = result.from === undefined ? '' : toHex(result.from)
        const where = from === toHex(this.tab.identity.id) ? 'in this tab’s own store (it is one of the closest nodes), no lookup needed' : `at node ${shortId(from)}`
        if (result.value !== undefined) this.#result(`Found “${name}” ${where}.`, new TextDecoder().decode(result.value), result.trace)
        else this.#result(`Nothing stored under “${name}”.`, undefined, result.trace)
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

  #result(summary: string, value: string | undefined, trace: LookupTrace): void {
    byId('result').hidden = false
    byId('result-summary').textContent = summary
    const valueBox = byId('result-value')
    valueBox.hidden = value === undefined
    valueBox.textContent = value ?? ''
    const facts: [string, string][] = [
      ['Rounds', String(trace.rounds)],
      ['Peers asked', String(trace.nodesAsked)],
      ['Requests', String(trace.messages)],
      ['Failed', String(trace.failures)],
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
