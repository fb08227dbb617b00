import { describe, expect, it } from 'vitest'
import { SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { register } = fx
let started: Started


describe('relay', () => {
  it('delivers a signal only to the named peer, with from set by the server', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    const bob = await register(started.url)
    const carol = await register(started.url)
    const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }
    alice.client.send({ type: 'signal', to: bob.id, data: offer })
    expect(await bob.client.expect('signal')).toEqual({ type: 'signal', from: alice.id, data: offer })
    expect(await carol.client.quiet()).toBe(true)
    expect(await alice.client.quiet()).toBe(true)
  })

  it('relays in both directions: offer, answer and candidates', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    const bob = await register(started.url)
    alice.client.send({ type: 'signal', to: bob.id, data: { type: 'offer', sdp: 'o' } })
    alice.client.send({ type: 'signal', to: bob.id, data: { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 0 } } })
    expect((await bob.client.expect('signal')).data).toEqual({ type: 'offer', sdp: 'o' })
    expect((await bob.client.expect('signal')).data).toMatchObject({ type: 'candidate' })
    bob.client.send({ type: 'signal', to: alice.id, data: { type: 'answer', sdp: 'a' } })
    expect(await alice.client.expect('signal')).toEqual({ type: 'signal', from: bob.id, data: { type: 'answer', sdp: 'a' } })
  })

  it('answers a signal to an unregistered ID with ERR_UNKNOWN_PEER naming that ID', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    const nobody = 'cd'.repeat(20)
    alice.client.send({ type: 'signal', to: nobody, data: {} })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.UNKNOWN_PEER, peer: nobody })
  })

  it('treats a peer that disconnected as unknown', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    const bob = await register(started.url)
    bob.client.close()
    await bob.client.closed
    await expect.poll(() => started!.server.stats().registered).toBe(1)
    alice.client.send({ type: 'signal', to: bob.id, data: {} })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.UNKNOWN_PEER })
  })

  it('refuses a signal addressed to the sender itself', async () => {
    started = await fx.start()
    const alice = await register(started.url)
    alice.client.send({ type: 'signal', to: alice.id, data: {} })
    expect(await alice.client.expect('error')).toMatchObject({ code: SignalingErrorCode.INVALID_FIELD })
  })

  it('gives a newcomer up to maxPeersPerReply registered peers, never itself', async () => {
    // All on 127.0.0.1, one network: without an age to wait for, all count as long-registered
    // (else a reply holds one recent peer per network; introduction-flood.test.ts).
    started = await fx.start({ maxPeersPerReply: 3, introduceMinAgeMs: 0 })
    const early = [await register(started.url), await register(started.url)]
    const third = await register(started.url)
    expect([...(third.registered.peers as string[])].sort()).toEqual(early.map((p) => p.id).sort())
    await register(started.url)
    const fifth = await register(started.url)
    const peers = fifth.registered.peers as string[]
    expect(peers).toHaveLength(3)
    expect(new Set(peers).size).toBe(3)
    expect(peers).not.toContain(fifth.id)
  })

  it('answers a peers request with other random registered peers', async () => {
    started = await fx.start({ maxPeersPerReply: 8 })
    const alice = await register(started.url)
    const bob = await register(started.url)
    alice.client.send({ type: 'peers' })
    expect(await alice.client.expect('peers')).toEqual({ type: 'peers', peers: [bob.id] })
  })
})
