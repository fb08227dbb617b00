import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../src/options.ts'
import { CloseCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { RawClient, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track, register } = fx
let started: Started


/** Two registered peers that can still talk: proof the server kept serving. */
async function expectStillServing(url: string): Promise<void> {
  const a = await register(url)
  const b = await register(url)
  a.client.send({ type: 'signal', to: b.id, data: { ok: true } })
  expect(await b.client.expect('signal')).toMatchObject({ from: a.id, data: { ok: true } })
}

describe('bad input', () => {
  it('answers malformed JSON, wrong types and unknown types with error codes and keeps serving everyone', async () => {
    started = await fx.start()
    const { client, id } = await register(started.url)
    const cases: [unknown, string][] = [
      ['{"type":"signal",', SignalingErrorCode.MALFORMED_FRAME],
      ['[1,2,3]', SignalingErrorCode.MALFORMED_FRAME],
      [{ type: 'teleport' }, SignalingErrorCode.UNKNOWN_FRAME_TYPE],
      [{ type: 'signal', to: 42, data: {} }, SignalingErrorCode.INVALID_FIELD],
      [{ type: 'signal', to: id.toUpperCase(), data: {} }, SignalingErrorCode.INVALID_FIELD],
      [{ type: 'signal', to: 'ab'.repeat(20), data: 'sdp' }, SignalingErrorCode.INVALID_FIELD],
    ]
    for (const [frame, code] of cases) {
      client.send(frame)
      expect(await client.expect('error')).toMatchObject({ code })
    }
    client.send({ type: 'peers' })
    expect(await client.expect('peers')).toMatchObject({ type: 'peers' })
    await expectStillServing(started.url)
  })

  it('answers a frame above maxFrameBytes with ERR_FRAME_TOO_LARGE and keeps serving', async () => {
    started = await fx.start()
    const { client } = await register(started.url)
    client.send(JSON.stringify({ type: 'peers', pad: 'x'.repeat(DEFAULTS.maxFrameBytes) }))
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.FRAME_TOO_LARGE })
    client.send({ type: 'peers' })
    expect(await client.expect('peers')).toMatchObject({ type: 'peers' })
  })

  it('closes a socket that sends a frame above maxPayloadBytes with 1009, and other clients are unaffected', async () => {
    started = await fx.start()
    const { client } = await register(started.url)
    client.send('x'.repeat(DEFAULTS.maxPayloadBytes + 1))
    expect((await client.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG)
    await expectStillServing(started.url)
  })

  it('answers a binary frame with ERR_BINARY_FRAME', async () => {
    started = await fx.start()
    const { client } = await register(started.url)
    client.socket.send(new TextEncoder().encode('{"type":"peers"}'), { binary: true })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.BINARY_FRAME })
  })

  it('refuses signal data that is too large or nested too deep', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    const bob = await register(started.url)
    alice.client.send({ type: 'signal', to: bob.id, data: { sdp: 'x'.repeat(DEFAULTS.maxSignalBytes) } })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.SIGNAL_TOO_LARGE })
    let deep: unknown = {}
    for (let i = 0; i < DEFAULTS.maxSignalDepth; i++) deep = { deeper: deep }
    alice.client.send({ type: 'signal', to: bob.id, data: deep })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.SIGNAL_TOO_DEEP })
    expect(await bob.client.quiet()).toBe(true)
  })

  it('survives hundreds of random strings and JSON values from many sockets and keeps serving', async () => {
    started = await fx.start({ maxStrikes: 1000, rateBurst: 1000 })
    const inputs = fc.sample(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? '')), { numRuns: 300, seed: 7 })
    const senders = [await register(started.url), await register(started.url)]
    const unregistered = new RawClient(started.url)
    track(unregistered)
    await unregistered.expect('challenge')
    const sockets = [...senders.map((sender) => sender.client), unregistered]
    inputs.forEach((input, i) => sockets[i % 3]!.send(input))
    unregistered.send({ type: 'peers' })
    // Every frame from an unregistered socket gets exactly one error frame, in order.
    const answers = inputs.filter((_, i) => i % 3 === 2).length + 1
    const frames = []
    for (let i = 0; i < answers; i++) frames.push(await unregistered.next())
    expect(frames.every((frame) => frame.type === 'error')).toBe(true)
    expect(frames.at(-1)).toMatchObject({ code: SignalingErrorCode.NOT_REGISTERED })
    await expectStillServing(started.url)
  })
})

describe('abuse', () => {
  it('rate-limits a flooding connection with ERR_RATE_LIMITED and then closes it with 1008', async () => {
    started = await fx.start({ rateBurst: 5, ratePerSecond: 0.001, maxStrikes: 3 })
    const { client } = await register(started.url)
    for (let i = 0; i < 10; i++) client.send({ type: 'peers' })
    const codes: string[] = []
    for (let i = 0; i < 7; i++) {
      const frame = await client.next()
      codes.push(frame.type === 'error' ? String(frame.code) : frame.type)
    }
    expect(codes).toEqual(['peers', 'peers', 'peers', 'peers', ...Array<string>(3).fill(SignalingErrorCode.RATE_LIMITED)])
    expect((await client.closed).code).toBe(CloseCode.POLICY_VIOLATION)
    await expectStillServing(started.url)
  })

  it('closes a connection after maxStrikes protocol errors with 1008', async () => {
    started = await fx.start({ maxStrikes: 3 })
    const client = new RawClient(started.url)
    track(client)
    await client.expect('challenge')
    for (let i = 0; i < 5; i++) client.send('garbage')
    for (let i = 0; i < 3; i++) expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.MALFORMED_FRAME })
    expect(await client.closed).toMatchObject({ code: CloseCode.POLICY_VIOLATION })
    await expect.poll(() => started!.log.some((line) => line.startsWith('disconnect #1 '))).toBe(true)
  })

  it('does not count signals to peers that just left as abuse', async () => {
    started = await fx.start({ maxStrikes: 2 })
    const { client } = await register(started.url)
    for (let i = 0; i < 4; i++) {
      client.send({ type: 'signal', to: 'ee'.repeat(20), data: {} })
      expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.UNKNOWN_PEER })
    }
    client.send({ type: 'peers' })
    expect(await client.expect('peers')).toMatchObject({ type: 'peers' })
  })
})
