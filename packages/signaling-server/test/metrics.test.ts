/**
 * GET /metrics over HTTP on 127.0.0.1: after registrations, a relayed signal and refusals of
 * three kinds, the numbers it serves are those that happened.
 */
import { describe, expect, it } from 'vitest'
import { CloseCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { RawClient, type Started, useServerAndClients } from './helpers.ts'
import { type ParsedFamily, parseMetrics } from './prometheus-parse.ts'

const fx = useServerAndClients()
const { register, track } = fx
let started: Started

function metricsUrl(url: string): string {
  return url.replace(/^ws:/, 'http:').replace(/\/signal$/, '/metrics')
}

/** The one value of an unlabeled family, or of the sample whose `reason` is `reason`. */
function valueOf(families: ParsedFamily[], name: string, reason?: string): number | undefined {
  const family = families.find((f) => f.name === name)
  return family?.samples.find((s) => s.labels.reason === reason)?.value
}

describe('GET /metrics', () => {
  it('serves clients, registrations, relayed signals and refusals by reason in the Prometheus text format', async () => {
    started = await fx.start({ maxClients: 3 })
    const alice = await register(started.url)
    const bob = await register(started.url)
    alice.client.send({ type: 'signal', to: bob.id, data: { type: 'offer', sdp: 'o' } })
    await bob.client.expect('signal')
    alice.client.send({ type: 'signal', to: 'cd'.repeat(20), data: {} })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.UNKNOWN_PEER })
    alice.client.send('not json')
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.MALFORMED_FRAME })
    const unregistered = track(new RawClient(started.url))
    await unregistered.expect('challenge')
    const refused = track(new RawClient(started.url))
    expect(await refused.expect('error')).toMatchObject({ code: SignalingErrorCode.SERVER_FULL })
    expect((await refused.closed).code).toBe(CloseCode.TRY_AGAIN_LATER)

    const response = await fetch(metricsUrl(started.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const families = parseMetrics(await response.text())
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['signaling_clients', 'gauge'],
      ['signaling_registered_ids', 'gauge'],
      ['signaling_registrations_total', 'counter'],
      ['signaling_signals_relayed_total', 'counter'],
      ['signaling_refusals_total', 'counter'],
    ])
    expect(valueOf(families, 'signaling_clients')).toBe(3)
    expect(valueOf(families, 'signaling_registered_ids')).toBe(2)
    expect(valueOf(families, 'signaling_registrations_total')).toBe(2)
    expect(valueOf(families, 'signaling_signals_relayed_total')).toBe(1)
    // Every code is a series from the start; only those that happened are above zero.
    const refusals = families.find((f) => f.name === 'signaling_refusals_total')!.samples
    expect(refusals.map((s) => s.labels.reason)).toEqual(Object.values(SignalingErrorCode))
    expect(Object.fromEntries(refusals.filter((s) => s.value > 0).map((s) => [s.labels.reason, s.value]))).toEqual({
      [SignalingErrorCode.MALFORMED_FRAME]: 1,
      [SignalingErrorCode.UNKNOWN_PEER]: 1,
      [SignalingErrorCode.SERVER_FULL]: 1,
    })
  })

  it('counts a registration refused for its rate under its code, and the gauges go down when a client leaves', async () => {
    started = await fx.start({ registrationsPerMinutePerAddress: 2 })
    const first = await register(started.url)
    await register(started.url)
    const third = track(new RawClient(started.url))
    await third.expect('challenge')
    third.send({ type: 'register', publicKey: 'ab'.repeat(32), signature: 'cd'.repeat(64) })
    expect(await third.expect('error')).toMatchObject({ code: SignalingErrorCode.ADDRESS_REGISTER_RATE })
    first.client.close()
    await expect.poll(() => started.server.stats().clients).toBe(1)
    const families = parseMetrics(await (await fetch(metricsUrl(started.url))).text())
    expect(valueOf(families, 'signaling_clients')).toBe(1)
    expect(valueOf(families, 'signaling_registered_ids')).toBe(1)
    expect(valueOf(families, 'signaling_registrations_total')).toBe(2)
    expect(valueOf(families, 'signaling_refusals_total', SignalingErrorCode.ADDRESS_REGISTER_RATE)).toBe(1)
    expect(started.server.metrics()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'signaling_clients', samples: [{ value: 1 }] })]))
  })

  it('answers HEAD with the headers only, and leaves other methods to 404 like /healthz', async () => {
    started = await fx.start()
    const url = metricsUrl(started.url)
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await head.text()).toBe('')
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(404)
    expect((await fetch(`${url}?name=x`)).status).toBe(200)
  })
})
