import { type Id, idEquals, keyOf, toHex } from '@browser-dht/kademlia'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Testnet } from '../src/testnet.ts'

/**
 * `node.forget(peer)`: a transport that knows a peer is gone (its data channel closed) drops it
 * from the routing table at once, instead of waiting for requests to it to time out.
 */
let net: Testnet

beforeAll(async () => {
  // k = 2 keeps buckets small, so some of them have replacements waiting.
  net = new Testnet({ seed: 404, k: 2, requestTimeoutMs: 500 })
  await net.grow(40)
})

afterAll(async () => {
  await net.stop()
})

function events(node: ReturnType<Testnet['pick']>): { added: string[]; removed: string[] } {
  const log = { added: [] as string[], removed: [] as string[] }
  node.on('peer:added', ({ id }) => log.added.push(toHex(id)))
  node.on('peer:removed', ({ id }) => log.removed.push(toHex(id)))
  return log
}

describe('KademliaNode.forget', () => {
  it('removes a contact at once, emits peer:removed, and the contact returns once heard from again', async () => {
    // A contact in a bucket with no replacement waiting, so the freed place stays free.
    const node = net.nodes.find((candidate) => candidate.table.buckets().some((bucket) => bucket.replacements === 0))!
    const peer: Id = node.table.buckets().find((bucket) => bucket.replacements === 0)!.contacts[0]!.id
    const log = events(node)
    const size = node.table.size

    expect(node.forget(peer)).toBe(true)
    expect(node.table.has(peer)).toBe(false)
    expect(log.removed).toEqual([toHex(peer)])
    expect(node.table.size).toBeLessThanOrEqual(size)
    expect(node.forget(peer)).toBe(false)
    expect(log.removed).toHaveLength(1)

    // The peer is alive: the next message from it puts it back.
    expect(await net.run(node.ping(peer))).toBe(true)
    expect(node.table.has(peer)).toBe(true)
  })

  it('promotes a waiting replacement and reports it as added', () => {
    const node = net.nodes.find((candidate) => candidate.table.buckets().some((bucket) => bucket.replacements > 0))
    expect(node, 'some node has a full bucket with a replacement waiting').toBeDefined()
    const bucket = node!.table.buckets().find((view) => view.replacements > 0)!
    const gone = bucket.contacts[0]!.id
    const log = events(node!)
    const size = node!.table.size

    expect(node!.forget(gone)).toBe(true)
    expect(node!.table.size).toBe(size)
    expect(log.removed).toEqual([toHex(gone)])
    expect(log.added).toHaveLength(1)
    const replacement = node!.table.buckets().find((view) => view.index === bucket.index)!.contacts
    expect(replacement.some((contact) => toHex(contact.id) === log.added[0])).toBe(true)
    expect(replacement.some((contact) => idEquals(contact.id, gone))).toBe(false)
  })

  it('does nothing for an unknown peer or its own ID, and refuses a malformed ID', () => {
    const node = net.nodes[0]!
    expect(node.forget(keyOf('forget/nobody'))).toBe(false)
    expect(node.forget(node.id)).toBe(false)
    expect(() => node.forget(new Uint8Array(3))).toThrow()
  })
})
