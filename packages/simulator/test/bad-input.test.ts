import { createNode, DEFAULT_WIRE_LIMITS, encodeMessage, ErrorCode, keyOf, RemoteError, toHex, WIRE_VERSION } from '@browser-dht/kademlia'
import type { Id, KademliaNode, Message, SignedRecord } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Testnet } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, buildNetwork, bytesOf, K } from './support.ts'

const RID = 0x0badf00d
const { maxValueBytes, maxMessageBytes } = DEFAULT_WIRE_LIMITS
let net: Testnet
/** The node under attack: the one holding the most records. */
let target: KademliaNode

beforeAll(async () => {
  net = await buildNetwork(404)
  for (let i = 0; i < 20; i++) await net.run(net.pick().put(keyOf(`bad-input/${i}`), bytesOf(`value ${i}`)))
  target = net.live().reduce((best, node) => (node.records.count > best.records.count ? node : best))
}, BUILD_TIMEOUT_MS)

/** A bare transport on the network that records what it is sent and never answers. */
function openProbe(): { id: Id; inbox: Message[]; send(message: Message): void } {
  const id = net.random.bytes(20)
  const transport = net.network.transport(id)
  const inbox: Message[] = []
  transport.listen({ onMessage: (_from, message) => inbox.push(message), onInvalid: () => undefined })
  return { id, inbox, send: (message) => transport.send(target.id, message) }
}

function withHeader(message: Message, byte: 0 | 1, value: number): Uint8Array {
  const bytes = encodeMessage(message)
  bytes[byte] = value
  return bytes
}

/** An immutable record (the wire does not check its key; the node does). */
const immutable = (value: Uint8Array): SignedRecord => ({ kind: 'immutable', value })

/** A STORE whose length field claims `claimed` value bytes (the value is the last field). */
function storeClaiming(claimed: number): Uint8Array {
  const value = bytesOf('tiny')
  const bytes = encodeMessage({ type: 'STORE', rid: RID, key: keyOf('claim'), record: immutable(value), ttlMs: 60_000, mode: 'publish' })
  new DataView(bytes.buffer).setUint32(bytes.length - value.length - 4, claimed)
  return bytes
}

interface BadInput {
  what: string
  bytes: () => Uint8Array
  code: ErrorCode
  /** The ERROR code the node answers with; undefined when it must stay silent. */
  answer: number | undefined
}

const findValue = (): Uint8Array => encodeMessage({ type: 'FIND_VALUE', rid: RID, key: keyOf('find'), count: K })
const BAD_INPUTS: BadInput[] = [
  { what: 'three bytes, shorter than a header', bytes: () => Uint8Array.of(1, 2, 3), code: ErrorCode.MALFORMED_MESSAGE, answer: undefined },
  { what: 'a FIND_VALUE cut off in its key', bytes: () => findValue().subarray(0, 12), code: ErrorCode.MALFORMED_MESSAGE, answer: RemoteError.MALFORMED },
  { what: 'a PING with a trailing byte', bytes: () => Uint8Array.of(...encodeMessage({ type: 'PING', rid: RID }), 0), code: ErrorCode.MALFORMED_MESSAGE, answer: RemoteError.MALFORMED },
  {
    what: 'a NODES answer with more contacts than a message may carry',
    bytes: () => encodeMessage({ type: 'NODES', rid: RID, nodes: Array.from({ length: 65 }, () => net.random.bytes(20)) }),
    code: ErrorCode.MALFORMED_MESSAGE,
    answer: undefined,
  },
  { what: 'a message one byte over maxMessageBytes', bytes: () => new Uint8Array(maxMessageBytes + 1), code: ErrorCode.MESSAGE_TOO_LARGE, answer: undefined },
  { what: 'a request of unknown type 0x42', bytes: () => withHeader({ type: 'PING', rid: RID }, 1, 0x42), code: ErrorCode.UNKNOWN_MESSAGE_TYPE, answer: RemoteError.UNKNOWN_TYPE },
  { what: 'a response of unknown type 0x99', bytes: () => withHeader({ type: 'PONG', rid: RID }, 1, 0x99), code: ErrorCode.UNKNOWN_MESSAGE_TYPE, answer: undefined },
  {
    what: 'a PING of a wire version the node does not speak',
    bytes: () => withHeader({ type: 'PING', rid: RID }, 0, WIRE_VERSION + 1),
    code: ErrorCode.UNSUPPORTED_VERSION,
    answer: RemoteError.UNSUPPORTED_VERSION,
  },
  { what: 'a PONG to a request never sent', bytes: () => encodeMessage({ type: 'PONG', rid: RID }), code: ErrorCode.UNEXPECTED_RESPONSE, answer: undefined },
  { what: 'a NODES answer to a request never sent', bytes: () => encodeMessage({ type: 'NODES', rid: RID, nodes: [] }), code: ErrorCode.UNEXPECTED_RESPONSE, answer: undefined },
  {
    what: 'a STORE with a value one byte over the limit',
    bytes: () => encodeMessage({ type: 'STORE', rid: RID, key: keyOf('big'), record: immutable(new Uint8Array(maxValueBytes + 1)), ttlMs: 60_000, mode: 'publish' }),
    code: ErrorCode.VALUE_TOO_LARGE,
    answer: RemoteError.VALUE_TOO_LARGE,
  },
  { what: 'a STORE claiming a 4 GB value', bytes: () => storeClaiming(0xffffffff), code: ErrorCode.VALUE_TOO_LARGE, answer: RemoteError.VALUE_TOO_LARGE },
  {
    what: 'a VALUE answer over the limit',
    bytes: () => encodeMessage({ type: 'VALUE', rid: RID, nodes: [], records: [{ record: immutable(new Uint8Array(maxValueBytes + 1)), ttlMs: 60_000 }] }),
    code: ErrorCode.VALUE_TOO_LARGE,
    answer: undefined,
  },
]

async function joinedNode(): Promise<KademliaNode> {
  const node = await net.addNode()
  await net.run(node.bootstrap([net.pick(node).id]))
  return node
}

function snapshotRecords(node: KademliaNode): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>()
  for (const meta of node.records.metas(net.clock.now())) {
    out.set(toHex(meta.key), node.records.read(meta.key, net.clock.now()).map(({ record }) => record.value))
  }
  return out
}

describe('bad input from peers', () => {
  it.each(BAD_INPUTS)('$what is rejected with $code', async ({ bytes, code, answer }) => {
    const probe = openProbe()
    const before = target.stats().rejected
    const events: { from: string; code: string }[] = []
    const off = target.on('input:rejected', (event) => events.push({ from: toHex(event.from), code: event.error.code }))
    net.network.injectBytes(probe.id, target.id, bytes())
    off()

    expect(target.stats().rejected).toEqual({ ...before, [code]: (before[code] ?? 0) + 1 })
    expect(events).toEqual([{ from: toHex(probe.id), code }])
    await net.advance(200)
    expect(probe.inbox).toEqual(answer === undefined ? [] : [{ type: 'ERROR', rid: RID, code: answer }])
  })

  it('a request with an unknown type is answered with an ERROR message carrying its request id', async () => {
    const probe = openProbe()
    for (const type of [0x05, 0x42, 0x7f]) net.network.injectBytes(probe.id, target.id, withHeader({ type: 'PING', rid: RID + type }, 1, type))
    await net.advance(200)
    const answers = [0x05, 0x42, 0x7f].map((type) => ({ type: 'ERROR', rid: RID + type, code: RemoteError.UNKNOWN_TYPE }))
    expect(probe.inbox).toEqual(expect.arrayContaining(answers))
    expect(probe.inbox).toHaveLength(3)
  })

  it('an answer from a peer other than the one asked is rejected and the real answer still counts', async () => {
    const asked = openProbe()
    const impostor = openProbe()
    const ping = target.ping(asked.id)
    await net.advance(100)
    const request = asked.inbox.find((message) => message.type === 'PING')
    expect(request).toBeDefined()
    const before = target.stats().rejected[ErrorCode.UNEXPECTED_RESPONSE] ?? 0
    net.network.injectBytes(impostor.id, target.id, encodeMessage({ type: 'PONG', rid: request!.rid }))
    expect(target.stats().rejected[ErrorCode.UNEXPECTED_RESPONSE]).toBe(before + 1)

    asked.send({ type: 'PONG', rid: request!.rid })
    expect(await net.run(ping)).toBe(true)
    // A second answer to the settled request is unexpected too.
    net.network.injectBytes(asked.id, target.id, encodeMessage({ type: 'PONG', rid: request!.rid }))
    expect(target.stats().rejected[ErrorCode.UNEXPECTED_RESPONSE]).toBe(before + 2)
  })

  it('no random or mutated bytes make delivery throw, and the node keeps its records and answers afterwards', async () => {
    const probe = openProbe()
    const recordsBefore = target.records.count
    const valid = [
      encodeMessage({ type: 'PING', rid: RID }),
      encodeMessage({ type: 'FIND_NODE', rid: RID, target: keyOf('x'), count: K }),
      findValue(),
      encodeMessage({ type: 'STORE', rid: RID, key: keyOf('fuzz'), record: immutable(bytesOf('v')), ttlMs: 60_000, mode: 'replicate' }),
      encodeMessage({ type: 'NODES', rid: RID, nodes: [keyOf('a'), keyOf('b')] }),
      encodeMessage({ type: 'VALUE', rid: RID, nodes: [], records: [{ record: immutable(bytesOf('v')), ttlMs: 5 }] }),
    ]
    const mutated = fc
      .tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 8 }))
      .map(([bytes, at, byte, cut]) => {
        const copy = Uint8Array.from(bytes)
        copy[at % copy.length] = byte
        return copy.subarray(0, Math.max(0, copy.length - cut))
      })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
        expect(() => net.network.injectBytes(probe.id, target.id, bytes)).not.toThrow()
      }),
      { numRuns: 500 },
    )
    await net.advance(1_000)
    expect(target.running).toBe(true)
    expect(target.records.count).toBeGreaterThanOrEqual(recordsBefore)
    const { value } = await net.run(net.pick().get(keyOf('bad-input/0')))
    expect(value).toEqual(bytesOf('value 0'))
  })

  it('after a burst of bad input the node keeps every record and still serves get and put', async () => {
    const held = snapshotRecords(target)
    expect(held.size).toBeGreaterThan(0)
    const probe = openProbe()
    for (const input of BAD_INPUTS) net.network.injectBytes(probe.id, target.id, input.bytes())
    for (const meta of target.records.metas(net.clock.now())) {
      const oversized = new Uint8Array(maxValueBytes + 1)
      net.network.injectBytes(probe.id, target.id, encodeMessage({ type: 'STORE', rid: RID, key: meta.key, record: immutable(oversized), ttlMs: 60_000, mode: 'publish' }))
    }
    await net.advance(1_000)

    const after = snapshotRecords(target)
    for (const [hex, value] of held) expect(after.get(hex)).toEqual(value)
    probe.send({ type: 'PING', rid: RID })
    await net.advance(200)
    expect(probe.inbox).toContainEqual({ type: 'PONG', rid: RID })

    const key = keyOf('bad-input/after the burst')
    const { holders } = await net.run(target.put(key, bytesOf('still here')))
    expect(holders).toHaveLength(K)
    expect((await net.run(net.pick().get(key))).value).toEqual(bytesOf('still here'))
    const elsewhere = [...Array(20).keys()].map((i) => keyOf(`bad-input/${i}`)).find((k) => target.records.meta(k) === undefined)!
    expect((await net.run(target.get(elsewhere))).value).toBeDefined()
    // It still answers FIND_VALUE with every record it held.
    const heldKeys = target.records.metas(net.clock.now()).map((meta) => meta.key)
    heldKeys.forEach((key, i) => probe.send({ type: 'FIND_VALUE', rid: RID + 1 + i, key, count: K }))
    await net.advance(200)
    heldKeys.forEach((key, i) => {
      const answer = probe.inbox.find((m) => m.rid === RID + 1 + i)
      expect(answer?.type).toBe('VALUE')
      if (answer?.type === 'VALUE') expect(answer.records.map(({ record }) => record.value)).toEqual(held.get(toHex(key)))
    })
  })
})

describe('bad input from the API', () => {
  it('put with a value over maxValueBytes rejects with ERR_VALUE_TOO_LARGE and stores nothing', async () => {
    const node = net.pick()
    const key = keyOf('bad-input/too large')
    const tooLarge = new Uint8Array(node.options.maxValueBytes + 1)
    await expect(net.run(node.put(key, tooLarge))).rejects.toMatchObject({ code: ErrorCode.VALUE_TOO_LARGE })
    expect(net.nodes.filter((n) => n.records.meta(key) !== undefined)).toEqual([])
    // The limit itself is allowed.
    const { holders } = await net.run(node.put(key, new Uint8Array(node.options.maxValueBytes)))
    expect(holders).toHaveLength(K)
  })

  it('a key or target that is not 20 bytes rejects with ERR_INVALID_ID', async () => {
    const node = net.pick()
    for (const bad of [new Uint8Array(0), new Uint8Array(19), new Uint8Array(21)]) {
      await expect(net.run(node.put(bad, bytesOf('v')))).rejects.toMatchObject({ code: ErrorCode.INVALID_ID })
      await expect(net.run(node.get(bad))).rejects.toMatchObject({ code: ErrorCode.INVALID_ID })
      await expect(net.run(node.findNode(bad))).rejects.toMatchObject({ code: ErrorCode.INVALID_ID })
    }
  })

  it('put, get and findNode on a node with no peers reject with ERR_NO_PEERS', async () => {
    const loner = await net.addNode()
    try {
      const key = keyOf('bad-input/alone')
      await expect(net.run(loner.put(key, bytesOf('v')))).rejects.toMatchObject({ code: ErrorCode.NO_PEERS })
      await expect(net.run(loner.get(key))).rejects.toMatchObject({ code: ErrorCode.NO_PEERS })
      await expect(net.run(loner.findNode(key))).rejects.toMatchObject({ code: ErrorCode.NO_PEERS })
      expect(loner.published()).toEqual([])
    } finally {
      await loner.stop()
    }
  })

  it('put and get on a stopped or never started node reject with ERR_NOT_RUNNING', async () => {
    const stopped = await net.addNode()
    await stopped.stop()
    const id = net.random.bytes(20)
    const transport = net.network.transport(id)
    const unstarted = createNode({ id, transport, clock: net.clock, random: net.random })
    const key = keyOf('bad-input/not running')
    for (const node of [stopped, unstarted]) {
      await expect(net.run(node.put(key, bytesOf('v')))).rejects.toMatchObject({ code: ErrorCode.NOT_RUNNING })
      await expect(net.run(node.get(key))).rejects.toMatchObject({ code: ErrorCode.NOT_RUNNING })
      await expect(net.run(node.bootstrap([net.pick().id]))).rejects.toMatchObject({ code: ErrorCode.NOT_RUNNING })
    }
    transport.close()
  })

  it('a put in flight when its node stops rejects with ERR_NOT_RUNNING', async () => {
    const node = await joinedNode()
    const put = node.put(keyOf('bad-input/interrupted'), bytesOf('v'))
    put.catch(() => undefined)
    await net.advance(5) // the lookup's first requests are on the wire
    await node.stop()
    await expect(net.run(put)).rejects.toMatchObject({ code: ErrorCode.NOT_RUNNING })
    expect(node.published()).toEqual([])
  })

  it('a get in flight when its node stops rejects with ERR_NOT_RUNNING', async () => {
    const node = await joinedNode()
    const key = [...Array(20).keys()].map((i) => keyOf(`bad-input/${i}`)).find((k) => node.records.meta(k) === undefined)!
    const get = node.get(key)
    get.catch(() => undefined)
    await net.advance(5)
    await node.stop()
    await expect(net.run(get)).rejects.toMatchObject({ code: ErrorCode.NOT_RUNNING })
  })
})
