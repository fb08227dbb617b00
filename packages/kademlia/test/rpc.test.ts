import { describe, expect, it } from 'vitest'
import { DhtError, ErrorCode, isDhtError } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { keyOf, toHex } from '../src/keyspace/id.ts'
import type { Random } from '../src/platform/platform.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import type { RpcOptions } from '../src/rpc/rpc.ts'
import { Rpc } from '../src/rpc/rpc.ts'
import type { Transport } from '../src/transport/transport.ts'
import type { Message, Response } from '../src/wire/messages.ts'
import { RemoteError } from '../src/wire/messages.ts'
import { listenedSignal } from './support.ts'

const PEER = keyOf('peer')
const OTHER = keyOf('other')
const TARGET = keyOf('target')
const TIMEOUT = 1000
const MIN_TIMEOUT = 100

interface Harness {
  rpc: Rpc
  clock: VirtualClock
  sent: { to: Id; message: Message }[]
  answered: string[]
  /** onFailure calls: the peer's hex and whether the failure was proven. */
  failed: { peer: string; proven: boolean }[]
}

interface HarnessOptions extends Partial<Pick<RpcOptions, 'maxInflightRequests' | 'random'>> {
  /** The transport's `direct`; absent by default, like the MemoryNetwork's. */
  direct?: (to: Id) => boolean
}

function harness(options: HarnessOptions = {}): Harness {
  const clock = new VirtualClock()
  const sent: Harness['sent'] = []
  const answered: string[] = []
  const failed: Harness['failed'] = []
  const transport: Transport = {
    send: (to, message) => void sent.push({ to, message }),
    listen: () => undefined,
    close: () => undefined,
    ...(options.direct === undefined ? {} : { direct: options.direct }),
  }
  const rpc = new Rpc({
    transport,
    clock,
    random: options.random ?? seededRandom(1),
    requestTimeoutMs: TIMEOUT,
    minRequestTimeoutMs: MIN_TIMEOUT,
    minSlowRequestMs: 20,
    maxRoundTripContacts: 16,
    maxInflightRequests: options.maxInflightRequests ?? 8,
    onAnswer: (peer) => void answered.push(toHex(peer)),
    onFailure: (peer, proven) => void failed.push({ peer: toHex(peer), proven }),
  })
  return { rpc, clock, sent, answered, failed }
}

type Outcome = { ok: true; response: Response } | { ok: false; error: DhtError }

/** Attaches handlers at once, so a rejection is never unhandled, and reports how it settled. */
function track(promise: Promise<Response>): { outcome: Outcome | undefined; done: Promise<Outcome> } {
  const tracked: { outcome: Outcome | undefined; done: Promise<Outcome> } = { outcome: undefined, done: undefined! }
  tracked.done = promise.then(
    (response): Outcome => (tracked.outcome = { ok: true, response }),
    (error: unknown): Outcome => {
      if (!isDhtError(error)) throw error
      return (tracked.outcome = { ok: false, error })
    },
  )
  return tracked
}

async function errorCode(promise: Promise<Outcome>): Promise<string> {
  const outcome = await promise
  if (outcome.ok) throw new Error(`expected a rejection, got ${outcome.response.type}`)
  return outcome.error.code
}

const ridOf = (h: Harness, i = h.sent.length - 1): number => h.sent[i]!.message.rid

describe('Rpc.request and answer', () => {
  it('sends the request with a fresh rid and resolves with the matching answer', async () => {
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'FIND_NODE', target: TARGET, count: 20 }))
    expect(h.sent).toHaveLength(1)
    expect(h.sent[0]!.to).toEqual(PEER)
    expect(h.sent[0]!.message).toMatchObject({ type: 'FIND_NODE', target: TARGET, count: 20 })
    expect(h.rpc.inflight).toBe(1)
    const response: Response = { type: 'NODES', rid: ridOf(h), nodes: [OTHER] }
    expect(h.rpc.answer(PEER, response)).toBeUndefined()
    expect(await call.done).toEqual({ ok: true, response })
    expect(h.answered).toEqual([toHex(PEER)])
    expect(h.rpc.inflight).toBe(0)
    expect(h.clock.pending).toBe(0)
    expect(h.rpc.sent).toBe(1)
  })

  it('gives concurrent requests distinct rids and matches each answer to its own request', async () => {
    const h = harness()
    const a = track(h.rpc.request(PEER, { type: 'PING' }))
    const b = track(h.rpc.request(PEER, { type: 'PING' }))
    expect(ridOf(h, 0)).not.toBe(ridOf(h, 1))
    h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h, 1) })
    await b.done
    expect(a.outcome).toBeUndefined()
    h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h, 0) })
    expect((await a.done).ok).toBe(true)
  })

  it('draws every rid at random, so consecutive rids are not predictable', () => {
    const h = harness({ maxInflightRequests: 1_000 })
    for (let i = 0; i < 1_000; i++) void track(h.rpc.request(PEER, { type: 'PING' }))
    const rids = h.sent.map((sent) => sent.message.rid)
    expect(new Set(rids).size).toBe(1_000)
    for (let i = 1; i < rids.length; i++) expect(rids[i]).not.toBe((rids[i - 1]! + 1) >>> 0)
    // Spread over the whole u32 range: every one of the 16 top nibbles occurs (about 62 each).
    const nibbles = new Set(rids.map((rid) => rid >>> 28))
    expect(nibbles.size).toBe(16)
    for (const rid of rids) expect(Number.isInteger(rid) && rid >= 0 && rid <= 0xffffffff).toBe(true)
  })

  it('redraws a rid that a pending request already uses', () => {
    const draws = [7, 7, 9]
    const scripted: Random = { bytes: () => Uint8Array.of(0, 0, 0, draws.shift()!), float: () => 0 }
    const h = harness({ random: scripted })
    void track(h.rpc.request(PEER, { type: 'PING' }))
    void track(h.rpc.request(PEER, { type: 'PING' }))
    expect([ridOf(h, 0), ridOf(h, 1)]).toEqual([7, 9])
  })

  it('falls back to the next free rid, wrapping around 2^32, when the random source keeps colliding', () => {
    const max: Random = { bytes: (n) => new Uint8Array(n).fill(0xff), float: () => 0 }
    const h = harness({ random: max })
    for (let i = 0; i < 3; i++) void track(h.rpc.request(PEER, { type: 'PING' }))
    expect([ridOf(h, 0), ridOf(h, 1), ridOf(h, 2)]).toEqual([0xffffffff, 0, 1])
  })

  it('rejects with ERR_TIMEOUT after requestTimeoutMs and reports a proven failure of the peer', async () => {
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'PING' }))
    await h.clock.advance(TIMEOUT - 1)
    expect(call.outcome).toBeUndefined()
    expect(h.failed).toEqual([])
    await h.clock.advance(1)
    expect(await errorCode(call.done)).toBe(ErrorCode.TIMEOUT)
    expect(h.failed).toEqual([{ peer: toHex(PEER), proven: true }])
    expect(h.answered).toEqual([])
    expect(h.rpc.inflight).toBe(0)
    expect([h.rpc.sent, h.rpc.failed]).toEqual([1, 1])
  })

  it('counts requests by type, and those that failed, not those answered or aborted', async () => {
    const h = harness()
    const answered = track(h.rpc.request(PEER, { type: 'FIND_NODE', target: PEER, count: 1 }))
    const controller = new AbortController()
    track(h.rpc.request(PEER, { type: 'PING' }, controller.signal)).done.catch(() => undefined)
    const undeliverable = track(h.rpc.request(OTHER, { type: 'PING' }))
    h.rpc.answer(PEER, { type: 'NODES', rid: h.sent[0]!.message.rid, nodes: [] })
    controller.abort()
    h.rpc.undeliverable(OTHER, h.sent[2]!.message.rid)
    await answered.done
    expect(await errorCode(undeliverable.done)).toBe(ErrorCode.UNREACHABLE)
    expect(h.rpc.sentByType).toEqual({ PING: 2, FIND_NODE: 1, FIND_VALUE: 0, STORE: 0 })
    expect([h.rpc.sent, h.rpc.failed]).toEqual([3, 1])
  })

  it('waits for a contact that has answered only a few of its round trips, not the full timeout', async () => {
    const h = harness()
    for (let i = 0; i < 3; i++) {
      const call = track(h.rpc.request(PEER, { type: 'PING' }))
      await h.clock.advance(10)
      h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h) })
      await call.done
    }
    expect(h.rpc.timeoutMs(PEER)).toBe(10 + MIN_TIMEOUT)
    expect(h.rpc.timeoutMs(OTHER)).toBe(TIMEOUT)
    const crashed = track(h.rpc.request(PEER, { type: 'PING' }))
    await h.clock.advance(10 + MIN_TIMEOUT - 1)
    expect(crashed.outcome).toBeUndefined()
    await h.clock.advance(1)
    expect(await errorCode(crashed.done)).toBe(ErrorCode.TIMEOUT)
    expect((crashed.outcome as { error: DhtError }).error.message).toContain(`timed out after ${10 + MIN_TIMEOUT} ms`)
    expect(h.rpc.timeoutMs(PEER)).toBe(2 * (10 + MIN_TIMEOUT))
  })

  it('fails at once with ERR_UNREACHABLE, as an unproven failure, when the transport says the request cannot arrive', async () => {
    const h = harness({ direct: () => true })
    const call = track(h.rpc.request(PEER, { type: 'PING' }))
    const rid = h.sent[0]!.message.rid
    h.rpc.undeliverable(OTHER, rid) // about another peer: ignored
    h.rpc.undeliverable(PEER, rid + 1) // another request: ignored
    await h.clock.advance(1)
    expect(call.outcome).toBeUndefined()
    h.rpc.undeliverable(PEER, rid)
    expect(await errorCode(call.done)).toBe(ErrorCode.UNREACHABLE)
    expect(h.failed).toEqual([{ peer: toHex(PEER), proven: false }])
    expect(h.rpc.inflight).toBe(0)
    expect(h.clock.pending).toBe(0)
  })

  it('counts a timeout as proven only when the transport called the channel direct when the request was sent', async () => {
    let direct = false
    const h = harness({ direct: (to) => direct && toHex(to) === toHex(PEER) })
    const relayed = track(h.rpc.request(PEER, { type: 'PING' }))
    direct = true
    const straight = track(h.rpc.request(PEER, { type: 'PING' }))
    const other = track(h.rpc.request(OTHER, { type: 'PING' }))
    direct = false // a channel that closes after sending does not change what was decided
    await h.clock.advance(TIMEOUT)
    for (const call of [relayed, straight, other]) expect(await errorCode(call.done)).toBe(ErrorCode.TIMEOUT)
    expect(h.failed).toEqual([
      { peer: toHex(PEER), proven: false },
      { peer: toHex(PEER), proven: true },
      { peer: toHex(OTHER), proven: false },
    ])
  })

  it('treats an answer that arrives after the timeout as unexpected', async () => {
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'PING' }))
    await h.clock.advance(TIMEOUT)
    await call.done
    expect(h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h) })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
    expect(h.answered).toEqual([])
  })

  it('returns ERR_UNEXPECTED_RESPONSE for an answer from the wrong peer and keeps waiting for the right one', async () => {
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'PING' }))
    expect(h.rpc.answer(OTHER, { type: 'PONG', rid: ridOf(h) })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
    expect(h.rpc.inflight).toBe(1)
    expect(h.answered).toEqual([])
    h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h) })
    expect((await call.done).ok).toBe(true)
  })

  it('returns ERR_UNEXPECTED_RESPONSE for an unknown rid or a second answer to the same request', async () => {
    const h = harness()
    expect(h.rpc.answer(PEER, { type: 'PONG', rid: 12345 })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
    const call = track(h.rpc.request(PEER, { type: 'PING' }))
    const rid = ridOf(h)
    expect(h.rpc.answer(PEER, { type: 'PONG', rid: (rid + 1) >>> 0 })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
    expect(h.rpc.answer(PEER, { type: 'PONG', rid })).toBeUndefined()
    expect(h.rpc.answer(PEER, { type: 'PONG', rid })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
    await call.done
  })

  it('rejects with ERR_WRONG_RESPONSE_TYPE, and reports it, when the answer type does not fit the request', async () => {
    const cases: [Parameters<Rpc['request']>[1], Response['type']][] = [
      [{ type: 'FIND_NODE', target: TARGET, count: 20 }, 'PONG'],
      [{ type: 'PING' }, 'STORED'],
      [{ type: 'STORE', key: TARGET, record: { kind: 'immutable', value: Uint8Array.of(1) }, ttlMs: 5, mode: 'publish' }, 'PONG'],
    ]
    for (const [request, type] of cases) {
      const h = harness()
      const call = track(h.rpc.request(PEER, request))
      expect(h.rpc.answer(PEER, { type, rid: ridOf(h) } as Response)?.code).toBe(ErrorCode.WRONG_RESPONSE_TYPE)
      expect(await errorCode(call.done)).toBe(ErrorCode.WRONG_RESPONSE_TYPE)
      expect(h.rpc.inflight).toBe(0)
    }
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'FIND_NODE', target: TARGET, count: 20 }))
    h.rpc.answer(PEER, { type: 'VALUE', rid: ridOf(h), nodes: [], records: [{ record: { kind: 'immutable', value: Uint8Array.of(1) }, ttlMs: 1 }] })
    expect(await errorCode(call.done)).toBe(ErrorCode.WRONG_RESPONSE_TYPE)
  })

  it('accepts both VALUE and NODES as answers to FIND_VALUE', async () => {
    const h = harness()
    const a = track(h.rpc.request(PEER, { type: 'FIND_VALUE', key: TARGET, count: 20 }))
    h.rpc.answer(PEER, { type: 'VALUE', rid: ridOf(h), nodes: [], records: [{ record: { kind: 'immutable', value: Uint8Array.of(1) }, ttlMs: 1 }] })
    const b = track(h.rpc.request(PEER, { type: 'FIND_VALUE', key: TARGET, count: 20 }))
    h.rpc.answer(PEER, { type: 'NODES', rid: ridOf(h), nodes: [] })
    expect((await a.done).ok && (await b.done).ok).toBe(true)
  })

  it('rejects an ERROR answer with ERR_REMOTE_ERROR carrying the remote code', async () => {
    const h = harness()
    const call = track(h.rpc.request(PEER, { type: 'STORE', key: TARGET, record: { kind: 'immutable', value: Uint8Array.of(1) }, ttlMs: 5, mode: 'cache' }))
    h.rpc.answer(PEER, { type: 'ERROR', rid: ridOf(h), code: RemoteError.STORAGE_FULL })
    const outcome = await call.done
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) {
      expect(outcome.error.code).toBe(ErrorCode.REMOTE_ERROR)
      expect(outcome.error.remoteCode).toBe(RemoteError.STORAGE_FULL)
    }
    expect(h.answered).toEqual([toHex(PEER)])
    expect(h.failed).toEqual([])
  })
})

describe('Rpc bounds and cancellation', () => {
  it('rejects with ERR_TOO_MANY_REQUESTS at maxInflightRequests without sending, and admits more once one settles', async () => {
    const h = harness({ maxInflightRequests: 2 })
    const a = track(h.rpc.request(PEER, { type: 'PING' }))
    const b = track(h.rpc.request(OTHER, { type: 'PING' }))
    const c = track(h.rpc.request(PEER, { type: 'PING' }))
    expect(await errorCode(c.done)).toBe(ErrorCode.TOO_MANY_REQUESTS)
    expect(h.sent).toHaveLength(2)
    expect(h.rpc.inflight).toBe(2)
    h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h, 0) })
    await a.done
    const d = track(h.rpc.request(PEER, { type: 'PING' }))
    expect(h.sent).toHaveLength(3)
    await h.clock.advance(TIMEOUT)
    expect(await errorCode(b.done)).toBe(ErrorCode.TIMEOUT)
    expect(await errorCode(d.done)).toBe(ErrorCode.TIMEOUT)
  })

  it('rejects with ERR_ABORTED and the abort reason at once, sending nothing, when the signal is already aborted', async () => {
    const h = harness()
    const controller = new AbortController()
    const reason = new Error('gave up early')
    controller.abort(reason)
    const call = track(h.rpc.request(PEER, { type: 'PING' }, controller.signal))
    expect(await call.done).toMatchObject({ ok: false, error: { code: ErrorCode.ABORTED, cause: reason } })
    expect(h.sent).toHaveLength(0)
    expect(h.rpc.inflight).toBe(0)
  })

  it('rejects with ERR_ABORTED and the abort reason when the signal fires while waiting, without counting a timeout', async () => {
    const h = harness()
    const controller = new AbortController()
    const call = track(h.rpc.request(PEER, { type: 'PING' }, controller.signal))
    await h.clock.advance(10)
    expect(call.outcome).toBeUndefined() // still waiting for its answer
    const reason = new Error('user left')
    controller.abort(reason)
    const outcome = await call.done
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) {
      expect(outcome.error.code).toBe(ErrorCode.ABORTED)
      expect(outcome.error.cause).toBe(reason)
    }
    expect(h.rpc.inflight).toBe(0)
    expect(h.clock.pending).toBe(0)
    await h.clock.advance(TIMEOUT * 2)
    expect(h.failed).toEqual([])
    expect(h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h) })?.code).toBe(ErrorCode.UNEXPECTED_RESPONSE)
  })

  it('lets go of the signal when the answer comes, so a later abort reaches nothing', async () => {
    const h = harness()
    const abort = listenedSignal()
    const call = track(h.rpc.request(PEER, { type: 'PING' }, abort.signal))
    expect(abort.listeners).toBe(1)
    h.rpc.answer(PEER, { type: 'PONG', rid: ridOf(h) })
    expect(abort.listeners).toBe(0)
    abort.abort()
    expect((await call.done).ok).toBe(true)
  })

  it('rejects every waiting request with the given error on cancelAll', async () => {
    const h = harness()
    const calls = [track(h.rpc.request(PEER, { type: 'PING' })), track(h.rpc.request(OTHER, { type: 'PING' }))]
    h.rpc.cancelAll(new DhtError(ErrorCode.NOT_RUNNING, 'stopped'))
    for (const call of calls) expect(await errorCode(call.done)).toBe(ErrorCode.NOT_RUNNING)
    expect(h.rpc.inflight).toBe(0)
    expect(h.clock.pending).toBe(0)
    expect(h.failed).toEqual([])
  })
})
