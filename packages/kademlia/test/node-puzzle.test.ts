import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import type { Id } from '../src/keyspace/id.ts'
import { ID_BYTES, toHex } from '../src/keyspace/id.ts'
import { meetsIdPuzzle } from '../src/keyspace/puzzle.ts'
import { KademliaNode } from '../src/node/node.ts'
import type { Random } from '../src/platform/platform.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import type { Message } from '../src/wire/messages.ts'
import { codeOf } from './support.ts'

/** The ID puzzle where a node first accepts an ID: messages from unknown peers, bootstrap contacts. */
const BITS = 6

function idWith(random: Random, solves: boolean): Id {
  for (;;) {
    const id = random.bytes(ID_BYTES)
    if (meetsIdPuzzle(id, BITS) === solves) return id
  }
}

function setup(seed: number) {
  const clock = new VirtualClock(1_000_000)
  const random = seededRandom(seed)
  const network = new MemoryNetwork({ clock, random, latencyMs: 10 })
  const make = async (solves: boolean): Promise<KademliaNode> => {
    const id = idWith(random, solves)
    const transport = Object.assign(network.transport(id), { idPuzzleBits: BITS })
    const node = new KademliaNode({ id, transport, clock, random, requestTimeoutMs: 500 })
    await node.start()
    return node
  }
  /** A bare endpoint that records what it receives. */
  const probe = (solves: boolean) => {
    const id = idWith(random, solves)
    const transport = network.transport(id)
    const inbox: Message[] = []
    transport.listen({ onMessage: (_from, message) => inbox.push(message), onInvalid: () => undefined })
    return { id, inbox, send: (to: Id, message: Message) => transport.send(to, message) }
  }
  return { clock, random, network, make, probe }
}

describe('a node on a network with an ID puzzle', () => {
  it('takes the difficulty from the transport unless the option sets it, and refuses one out of range', () => {
    const { clock, random, network } = setup(1)
    const transport = (bits?: number) => Object.assign(network.transport(random.bytes(ID_BYTES)), bits === undefined ? {} : { idPuzzleBits: bits })
    const node = (bits: number | undefined, option?: number) =>
      new KademliaNode({ id: random.bytes(ID_BYTES), transport: transport(bits), clock, random, ...(option === undefined ? {} : { idPuzzleBits: option }) })
    expect(node(undefined).options.idPuzzleBits).toBe(0)
    expect(node(13).options.idPuzzleBits).toBe(13)
    expect(node(13, 4).options.idPuzzleBits).toBe(4)
    expect(node(undefined, 0).options.idPuzzleBits).toBe(0)
    for (const bad of [33, 1.5, -1]) expect(() => node(undefined, bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
  })

  it('neither serves nor adds an unknown peer whose ID fails the puzzle, and reports ERR_WEAK_ID', async () => {
    const { clock, make, probe } = setup(2)
    const node = await make(true)
    const rejected: { from: string; code: string }[] = []
    node.on('input:rejected', ({ from, error }) => rejected.push({ from: toHex(from), code: error.code }))
    const weak = probe(false)
    const strong = probe(true)
    for (const p of [weak, strong]) {
      p.send(node.id, { type: 'PING', rid: 1 })
      p.send(node.id, { type: 'FIND_NODE', rid: 2, target: p.id, count: 20 })
    }
    await clock.advance(100)
    expect(weak.inbox).toEqual([])
    expect(strong.inbox.map((message) => message.type).sort()).toEqual(['NODES', 'PONG'])
    expect(node.table.has(weak.id)).toBe(false)
    expect(node.table.has(strong.id)).toBe(true)
    expect(rejected).toEqual([
      { from: toHex(weak.id), code: ErrorCode.WEAK_ID },
      { from: toHex(weak.id), code: ErrorCode.WEAK_ID },
    ])
    expect(node.stats().rejected).toEqual({ [ErrorCode.WEAK_ID]: 2 })
  })

  it('skips bootstrap contacts whose IDs fail the puzzle, and joins through the others', async () => {
    const { clock, make } = setup(3)
    const weak = await make(false)
    const strong = await make(true)
    const joiner = await make(true)
    const weakHeard: string[] = []
    weak.on('peer:added', ({ id }) => weakHeard.push(toHex(id)))
    expect(await codeOf(clock.run(joiner.bootstrap([weak.id])))).toBe(ErrorCode.NO_PEERS)
    expect(await clock.run(joiner.bootstrap([weak.id, strong.id]))).toBe(1)
    expect(joiner.table.has(strong.id)).toBe(true)
    expect(joiner.table.has(weak.id)).toBe(false)
    // The joiner never wrote to the weak contact.
    expect(weakHeard).toEqual([])
  })
})
