/**
 * A real `KademliaNode`'s handler, behind `deliverBytes`: bytes injected into a started node on a
 * MemoryNetwork (`injectBytes`), as if eight attacker nodes had sent them. The node has joined four
 * honest nodes and keeps looking nodes up, so the attackers are in its table and get asked: half
 * the inputs that are long enough carry the request ID of a question it really sent that
 * attacker, and reach the RPC layer and the lookup as answers.
 */
import { createNode, DEFAULT_WIRE_LIMITS, type Id, type KademliaNode, keyOf, MemoryNetwork, type Tunables, VirtualClock } from '@browser-dht/kademlia'
import { ed25519Signer } from '@browser-dht/kademlia/noble'
import { ByteInputs } from '../inputs/bytes.ts'
import { Rng } from '../inputs/rng.ts'
import { type FuzzTarget, showBytes } from '../target.ts'
import { dhtCorpus } from './dht-corpus.ts'

const REQUESTS = new Set(['PING', 'FIND_NODE', 'FIND_VALUE', 'STORE'])
const ATTACKERS = 8
const HONEST = 4
/** Request IDs remembered per run (the newest questions the node sent the attackers). */
const PENDING = 64
const SETTLE_MS = 50
/**
 * The node's storage, bounded low so that it is full within the warm-up: what the heap does after
 * that is what the inputs leave behind (with the defaults, 10,000 records and 64 MiB, a run of a
 * million frames would still be filling it). A full store answers STORE with STORAGE_FULL.
 */
const VICTIM_BOUNDS: Partial<Tunables> = { maxRecords: 16, maxStoredBytes: 64 * 1024 }
/** Lookups kept running, so questions to the attackers keep coming. */
const LOOKUPS = 4
const KEY = keyOf('fuzz/dht-node')
const VALUE = new TextEncoder().encode('still here')

interface Question {
  from: Id
  rid: number
}

export const dhtNode: FuzzTarget = {
  name: 'dht-node',
  boundary: 'MemoryNetwork.injectBytes → deliverBytes → KademliaNode',
  async open(seed) {
    const rng = new Rng(seed)
    const clock = new VirtualClock(1_000_000)
    const network = new MemoryNetwork({ clock, random: rng.random, latencyMs: 1 })
    const node = async (bounds: Partial<Tunables> = {}): Promise<KademliaNode> => {
      const id = rng.bytes(20)
      const started = createNode({ ...bounds, id, transport: network.transport(id), clock, random: rng.random, signer: ed25519Signer(rng.bytes(32)) })
      await started.start()
      return started
    }
    const honest = await Promise.all(Array.from({ length: HONEST }, () => node()))
    const victim = await node(VICTIM_BOUNDS)
    await clock.run(victim.bootstrap(honest.map((h) => h.id)))
    await clock.run(honest[0]!.put(KEY, VALUE))

    const questions: Question[] = []
    const attackers = Array.from({ length: ATTACKERS }, () => {
      const id = rng.bytes(20)
      network.transport(id).listen({
        onMessage: (_from, message) => {
          if (!REQUESTS.has(message.type)) return
          questions.push({ from: id, rid: message.rid })
          if (questions.length > PENDING) questions.shift()
        },
        onInvalid: () => {},
      })
      return id
    })
    let rejected: string | undefined
    let lookups = 0
    victim.on('input:rejected', ({ error }) => {
      rejected = error.code
    })

    const inputs = new ByteInputs(rng, dhtCorpus(rng, DEFAULT_WIRE_LIMITS))
    let last: Uint8Array = new Uint8Array(0)
    return {
      settleEvery: 64,
      feed() {
        last = inputs.next()
        let from = rng.pick(attackers)
        if (last.length >= 6 && questions.length > 0 && rng.chance(0.5)) {
          const question = rng.pick(questions)
          from = question.from
          new DataView(last.buffer, last.byteOffset, last.byteLength).setUint32(2, question.rid)
        }
        rejected = undefined
        network.injectBytes(from, victim.id, last)
        return rejected ?? 'ok'
      },
      async settle() {
        for (; lookups < LOOKUPS; lookups++) {
          void victim
            .findNode(rng.bytes(20))
            .catch(() => undefined)
            .finally(() => lookups--)
        }
        await clock.advance(SETTLE_MS)
      },
      lastInput: () => showBytes(last),
      async finish() {
        const violations: string[] = []
        const { records, storedBytes } = victim.stats()
        if (!victim.running) violations.push('the node stopped')
        if (records > victim.options.maxRecords) violations.push(`${records} records held, over maxRecords`)
        if (storedBytes > victim.options.maxStoredBytes) violations.push(`${storedBytes} bytes stored, over maxStoredBytes`)
        if (!(await clock.run(honest[1]!.ping(victim.id)))) violations.push('the node no longer answers a PING')
        const { value } = await clock.run(victim.get(KEY))
        if (value === undefined || new TextDecoder().decode(value) !== 'still here') violations.push('the node lost a record it held')
        return violations
      },
      async close() {
        for (const n of [victim, ...honest]) await n.stop()
      },
    }
  },
}
