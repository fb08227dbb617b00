import { toHex } from '@browser-dht/kademlia'
import { bytesToHex } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { generateIdentity, registerFrame, signChallenge } from '../src/identity.ts'
import { CloseCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { connectAndRegister, RawClient, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track } = fx
let started: Started

describe('registration', () => {
  it('sends a fresh 32-byte nonce to every new connection', async () => {
    started = await fx.start()
    const a = await track(new RawClient(started.url)).expect('challenge')
    const b = await track(new RawClient(started.url)).expect('challenge')
    expect(a.nonce).toMatch(/^[0-9a-f]{64}$/)
    expect(b.nonce).not.toBe(a.nonce)
  })

  it('registers the SHA-1 of the public key when the signature over the nonce is valid', async () => {
    started = await fx.start()
    const identity = generateIdentity()
    const { client, registered } = await connectAndRegister(started.url, identity)
    track(client)
    expect(registered.id).toBe(toHex(identity.id))
    expect(registered.peers).toEqual([])
    expect(started.server.stats()).toEqual({ clients: 1, registered: 1 })
  })

  it('refuses a signature that does not match the public key', async () => {
    started = await fx.start()
    const client = track(new RawClient(started.url))
    const { nonce } = await client.expect('challenge')
    const frame = await registerFrame(generateIdentity(), String(nonce))
    client.send({ ...frame, signature: bytesToHex(await signChallenge(generateIdentity().secretKey, String(nonce))) })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.BAD_SIGNATURE })
    expect(started.server.stats().registered).toBe(0)
  })

  it('refuses someone else\'s public key, so no client can take another\'s ID', async () => {
    started = await fx.start()
    const victim = generateIdentity()
    const attacker = generateIdentity()
    const client = track(new RawClient(started.url))
    const { nonce } = await client.expect('challenge')
    client.send({ type: 'register', publicKey: bytesToHex(victim.publicKey), signature: bytesToHex(await signChallenge(attacker.secretKey, String(nonce))) })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.BAD_SIGNATURE })
  })

  it('refuses a valid signature replayed from another connection\'s challenge', async () => {
    started = await fx.start()
    const identity = generateIdentity()
    const first = track(new RawClient(started.url))
    const firstNonce = String((await first.expect('challenge')).nonce)
    const second = track(new RawClient(started.url))
    await second.expect('challenge')
    second.send(await registerFrame(identity, firstNonce))
    expect(await second.expect('error')).toMatchObject({ code: SignalingErrorCode.BAD_SIGNATURE })
  })

  it('refuses a second registration on the same connection', async () => {
    started = await fx.start()
    const identity = generateIdentity()
    const client = track(new RawClient(started.url))
    const { nonce } = await client.expect('challenge')
    client.send(await registerFrame(identity, String(nonce)))
    await client.expect('registered')
    client.send(await registerFrame(generateIdentity(), String(nonce)))
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.ALREADY_REGISTERED })
  })

  it('refuses signal and peers frames before registration', async () => {
    started = await fx.start()
    const client = track(new RawClient(started.url))
    await client.expect('challenge')
    client.send({ type: 'peers' })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.NOT_REGISTERED })
    client.send({ type: 'signal', to: 'ab'.repeat(20), data: {} })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.NOT_REGISTERED })
  })

  it('hands the ID to a newer connection with a fresh valid signature and closes the older one with 4000', async () => {
    started = await fx.start()
    const identity = generateIdentity()
    const old = await connectAndRegister(started.url, identity)
    track(old.client)
    const fresh = await connectAndRegister(started.url, identity)
    track(fresh.client)
    expect(fresh.registered.id).toBe(toHex(identity.id))
    expect(await old.client.expect('error')).toMatchObject({ code: SignalingErrorCode.REPLACED })
    expect((await old.client.closed).code).toBe(CloseCode.REPLACED)

    const sender = await connectAndRegister(started.url)
    track(sender.client)
    sender.client.send({ type: 'signal', to: toHex(identity.id), data: { n: 1 } })
    expect(await fresh.client.expect('signal')).toMatchObject({ from: toHex(sender.identity.id), data: { n: 1 } })
    expect(started.server.stats()).toEqual({ clients: 2, registered: 2 })
  })

  it('closes a connection that does not register within registerTimeoutMs with 1008', async () => {
    started = await fx.start({ registerTimeoutMs: 100 })
    const client = track(new RawClient(started.url))
    await client.expect('challenge')
    expect((await client.closed).code).toBe(CloseCode.POLICY_VIOLATION)
  })
})
