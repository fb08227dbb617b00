import {
  compareDistance,
  encodeMessage,
  ErrorCode,
  type Id,
  idEquals,
  immutableKey,
  type KademliaNode,
  keyOf,
  type Message,
  type NamedRecord,
  type SignedRecord,
  signNamed,
  toHex,
  type Transport,
} from '@browser-dht/kademlia'
import { beforeAll, describe, expect, it } from 'vitest'
import { simulatedSigner, type Testnet } from '../src/testnet.ts'
import { Testnet as Net } from '../src/testnet.ts'
import { BUILD_TIMEOUT_MS, bytesOf, hexes, shuffled } from './support.ts'

/**
 * The attacks on records (issue: records that prove themselves), each on a 120-node in-memory
 * network: what one malicious node tries, that it fails, and that the refusal is counted.
 */
const K = 8
let net: Testnet
/** Nodes whose answers to FIND_VALUE are replaced by `poison` while it is set. */
const poisoning = new Map<string, { poison: SignedRecord | undefined }>()

beforeAll(async () => {
  net = new Net({
    seed: 909,
    k: K,
    requestTimeoutMs: 500,
    transport: (base, id) => {
      const state = { poison: undefined as SignedRecord | undefined }
      poisoning.set(toHex(id), state)
      return poisonAnswers(base, state)
    },
  })
  await net.grow(120)
}, BUILD_TIMEOUT_MS)

/** A transport that answers FIND_VALUE with a VALUE carrying `state.poison` while it is set. */
function poisonAnswers(base: Transport, state: { poison: SignedRecord | undefined }): Transport {
  return {
    ...base,
    listen: (handler) => base.listen(handler),
    send: (to, message) => {
      const poison = state.poison
      if (poison !== undefined && (message.type === 'NODES' || message.type === 'VALUE')) {
        const nodes = message.nodes
        base.send(to, { type: 'VALUE', rid: message.rid, nodes, records: [{ record: poison, ttlMs: 60_000 }] })
        return
      }
      base.send(to, message)
    },
  }
}

const live = (): KademliaNode[] => net.live()
const pick = (): KademliaNode => net.pick()
/** Distinct random live nodes: an attacker is never its own victim, a reader never the publisher. */
function distinct(n: 2): [KademliaNode, KademliaNode]
function distinct(n: 3): [KademliaNode, KademliaNode, KademliaNode]
function distinct(n: number): KademliaNode[] {
  return shuffled(net, live()).slice(0, n)
}
/** Every refusal of STOREs across the network, by code. */
function refused(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const node of live()) for (const [code, n] of Object.entries(node.stats().refusedStores)) out[code] = (out[code] ?? 0) + n
  return out
}
const held = (key: Id): NamedRecord[] =>
  live().flatMap((node) => node.records.read(key, net.clock.now()).flatMap(({ record }) => (record.kind === 'named' ? [record] : [])))
const valuesOf = (records: readonly { value: Uint8Array }[]): string[] => records.map((r) => new TextDecoder().decode(r.value))

describe('named values: nobody changes or erases what another published', () => {
  it('another publisher’s put lands beside Alice’s value; a forged "Alice" record is refused and counted', async () => {
    const [alice, mallory, reader] = distinct(3)
    const key = keyOf('alice')
    const { holders } = await net.run(alice.put(key, bytesOf('alice v1')))
    await net.run(mallory.put(key, bytesOf('mallory says hi')))
    // Mallory claims Alice's key with a higher seq, signed by Mallory's own key.
    const mine = (await net.run(signNamed(simulatedSigner(mallory.id), key, Date.now() + 1e9, bytesOf('forged'))))
    const forged: NamedRecord = { ...mine, publicKey: simulatedSigner(alice.id).publicKey }
    const before = refused()[ErrorCode.BAD_SIGNATURE] ?? 0
    expect(await net.run(mallory.storeAt(holders, key, forged, 60_000, 'publish'))).toEqual([])
    expect((refused()[ErrorCode.BAD_SIGNATURE] ?? 0) - before).toBe(holders.length)

    const result = await net.run(reader.get(key, { quorum: K }))
    expect(valuesOf(result.values).sort()).toEqual(['alice v1', 'mallory says hi'])
    const alicesValue = result.values.find((v) => idEquals(v.publicKey, simulatedSigner(alice.id).publicKey))
    expect(alicesValue && new TextDecoder().decode(alicesValue.value)).toBe('alice v1')
    expect(held(key).some((r) => new TextDecoder().decode(r.value) === 'forged')).toBe(false)
  })

  it('a replayed older value, or the same seq with another value, is refused; readers get the newest', async () => {
    const [alice, mallory, reader] = distinct(3)
    const key = keyOf('replayed')
    const v1 = (await net.run(alice.put(key, bytesOf('v1')))).record
    await net.clock.advance(10)
    const { holders, record: v2 } = await net.run(alice.put(key, bytesOf('v2')))
    const before = refused()[ErrorCode.SEQ_TOO_LOW] ?? 0
    expect(await net.run(mallory.storeAt(holders, key, v1, 60_000, 'replicate'))).toEqual([])
    expect((refused()[ErrorCode.SEQ_TOO_LOW] ?? 0) - before).toBe(holders.length)
    expect((await net.run(reader.get(key))).value).toEqual(bytesOf('v2'))
    expect(v2.kind === 'named' && v1.kind === 'named' && v2.seq > v1.seq).toBe(true)
  })

  it('a STORE with ttl = 1 ms does not delete a value (a STORE never shortens a record’s life)', async () => {
    const [alice, mallory, reader] = distinct(3)
    const key = keyOf('short ttl')
    const { holders, record } = await net.run(alice.put(key, bytesOf('still here')))
    expect(await net.run(mallory.storeAt(holders, key, record, 1, 'publish'))).toHaveLength(holders.length)
    await net.advance(10_000)
    expect(held(key).length).toBeGreaterThanOrEqual(holders.length)
    expect((await net.run(reader.get(key))).value).toEqual(bytesOf('still here'))
  })

  it('a node fills nobody with keys it is not close to: STOREs far from the holder are refused and counted', async () => {
    const [victim, mallory] = distinct(2)
    const countBefore = victim.records.count
    const notCloseBefore = victim.stats().refusedStores[ErrorCode.NOT_CLOSE] ?? 0
    let sent = 0
    for (let i = 0; i < 200; i++) {
      const value = bytesOf(`junk ${i}`)
      const key = immutableKey(value)
      // Only keys far from the victim: in its table's other half of the keyspace.
      if (compareDistance(key, victim.id, mallory.id) < 0 || (key[0]! ^ victim.id[0]!) < 0x80) continue
      sent++
      await net.run(mallory.storeAt([victim.id], key, { kind: 'immutable', value }, 60_000, 'publish'))
    }
    expect(sent).toBeGreaterThan(20)
    expect(victim.records.count).toBe(countBefore)
    expect((victim.stats().refusedStores[ErrorCode.NOT_CLOSE] ?? 0) - notCloseBefore).toBe(sent)
  })
})

describe('readers: the newest valid value, and repair', () => {
  it('a holder answering with a forged record is outvoted by the proof: the reader drops it, counts it, and stores nothing of it', async () => {
    const alice = pick()
    const key = keyOf('poisoned')
    const { holders } = await net.run(alice.put(key, bytesOf('genuine')))
    const liar = net.node(holders.find((id) => !idEquals(id, alice.id))!)!
    const genuine = held(key)[0]!
    poisoning.get(toHex(liar.id))!.poison = { ...genuine, seq: genuine.seq + 1_000, value: bytesOf('poison') }
    try {
      const reader = live().find((node) => node.records.meta(key) === undefined && node !== alice)!
      const result = await net.run(reader.get(key, { quorum: K }))
      expect(result.value).toEqual(bytesOf('genuine'))
      expect(hexes(result.trace.steps.map((step) => step.peer))).toContain(toHex(liar.id))
      expect(result.trace.invalidRecords).toBeGreaterThanOrEqual(1)
      await net.advance(1_000)
      expect(held(key).some((r) => new TextDecoder().decode(r.value) === 'poison')).toBe(false)
    } finally {
      poisoning.get(toHex(liar.id))!.poison = undefined
    }
  })

  it('a split read (some holders stale) ends with the newest value, and the stale holders are repaired', async () => {
    const alice = pick()
    const key = keyOf('split')
    const { holders, record: v1 } = await net.run(alice.put(key, bytesOf('old')))
    // The newer value reached only half of the holders (a put cut short).
    const v2 = await net.run(signNamed(simulatedSigner(alice.id), key, (v1 as NamedRecord).seq + 1, bytesOf('new')))
    const half = holders.slice(0, Math.ceil(holders.length / 2))
    expect(await net.run(alice.storeAt(half, key, v2, 60_000, 'publish'))).toHaveLength(half.length)
    const stale = holders.filter((id) => !half.some((h) => idEquals(h, id)))
    const reader = live().find((node) => node.records.meta(key) === undefined)!
    const result = await net.run(reader.get(key, { quorum: K }))
    expect(result.value).toEqual(bytesOf('new'))
    expect(result.trace.staleAnswers).toBeGreaterThanOrEqual(1)
    expect(result.trace.repaired).toBeGreaterThanOrEqual(1)
    await net.advance(1_000)
    const answered = new Set(hexes(result.trace.steps.filter((step) => step.outcome === 'value').map((step) => step.peer)))
    for (const id of stale) {
      if (!answered.has(toHex(id))) continue
      expect(valuesOf(net.node(id)!.records.read(key, net.clock.now()).map((r) => r.record))).toEqual(['new'])
    }
  })

  it('a stale copy handed on later (an adopted orphan) does not bring an old value back', async () => {
    const [alice, adopter, reader] = distinct(3)
    const key = keyOf('orphan')
    const { record: v1 } = await net.run(alice.put(key, bytesOf('before')))
    await net.clock.advance(10)
    await net.run(alice.put(key, bytesOf('after')))
    await net.run(adopter.replicateRecord(key, v1, 60_000))
    expect((await net.run(reader.get(key))).value).toEqual(bytesOf('after'))
    expect(held(key).filter((r) => new TextDecoder().decode(r.value) === 'after').length).toBeGreaterThanOrEqual(K - 1)
  })
})

describe('the wire', () => {
  it('a peer speaking the old wire version gets a clear version error', () => {
    const bytes = encodeMessage({ type: 'PING', rid: 1 } as Message)
    bytes[0] = 1
    const [target] = live()
    const probe = net.network.transport(keyOf('old peer'))
    const inbox: Message[] = []
    probe.listen({ onMessage: (_from, message) => inbox.push(message), onInvalid: () => undefined })
    net.network.injectBytes(keyOf('old peer'), target!.id, bytes)
    return net.advance(200).then(() => expect(inbox).toContainEqual({ type: 'ERROR', rid: 1, code: 7 }))
  })
})

describe('BEP 44 items on the network', () => {
  it('a mutable item is put, read, updated with compare-and-swap, and a stale swap is refused', async () => {
    const [publisher, reader] = distinct(2)
    const salt = bytesOf('profile')
    const first = await net.run(publisher.putMutable(bytesOf('v1'), { salt, seq: 1 }))
    expect(first.holders.length).toBeGreaterThan(0)
    const publicKey = simulatedSigner(publisher.id).publicKey
    const got = await net.run(reader.getMutable(publicKey, salt))
    expect(got.item?.seq).toBe(1)
    expect(new TextDecoder().decode(got.item!.value)).toBe('v1')
    expect(toHex(got.item!.key)).toBe(toHex(first.key))
    await net.run(publisher.putMutable(bytesOf('v2'), { salt, seq: 2, cas: 1 }))
    expect((await net.run(reader.getMutable(publicKey, salt))).item?.seq).toBe(2)
    // A swap based on seq 1 is refused by every holder: they hold 2.
    await expect(net.run(publisher.putMutable(bytesOf('v3'), { salt, seq: 3, cas: 1 }))).rejects.toMatchObject({ code: ErrorCode.CAS_MISMATCH })
    await expect(net.run(publisher.putMutable(bytesOf('x'.repeat(997)), { salt, seq: 4 }))).rejects.toMatchObject({ code: ErrorCode.VALUE_TOO_LARGE })
  })

  it('an immutable item is found under the hash of its value', async () => {
    const value = bytesOf('content-addressed')
    const { key } = await net.run(pick().putImmutable(value))
    expect(toHex(key)).toBe(toHex(immutableKey(value)))
    expect((await net.run(pick().getImmutable(key))).value).toEqual(value)
  })
})
