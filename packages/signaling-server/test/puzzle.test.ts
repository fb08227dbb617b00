import { toHex } from '@browser-dht/kademlia'
import { bytesToHex } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { registerFrame } from '../src/identity.ts'
import { DEFAULTS } from '../src/options.ts'
import { SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { connectAndRegister, identityForPuzzle, RawClient, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track } = fx
let started: Started

const BITS = 6
const garbageSignature = 'ab'.repeat(64)

describe('the ID puzzle at registration', () => {
  it('asks for the core\'s default puzzle unless configured', () => {
    expect(DEFAULTS.idPuzzleBits).toBe(13)
  })

  it('refuses a weak ID with ERR_WEAK_ID before looking at the signature, and counts it as a strike', async () => {
    started = await fx.start({ idPuzzleBits: BITS })
    const client = track(new RawClient(started.url))
    const { nonce } = await client.expect('challenge')
    const weak = identityForPuzzle(BITS, false)
    // A garbage signature would be ERR_BAD_SIGNATURE: the weak-ID code shows the puzzle came first.
    client.send({ type: 'register', publicKey: bytesToHex(weak.publicKey), signature: garbageSignature })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.WEAK_ID })
    // The same weak ID with a valid signature is refused just the same.
    client.send(await registerFrame(weak, String(nonce)))
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.WEAK_ID })
    expect(started.server.stats().registered).toBe(0)
    expect(started.log.filter((line) => line.includes(`${SignalingErrorCode.WEAK_ID} strikes=`))).toHaveLength(2)
  })

  it('checks the signature of an ID that solves the puzzle, and registers it when it verifies', async () => {
    started = await fx.start({ idPuzzleBits: BITS })
    const strong = identityForPuzzle(BITS)
    const client = track(new RawClient(started.url))
    const { nonce } = await client.expect('challenge')
    client.send({ type: 'register', publicKey: bytesToHex(strong.publicKey), signature: garbageSignature })
    expect(await client.expect('error')).toMatchObject({ code: SignalingErrorCode.BAD_SIGNATURE })
    client.send(await registerFrame(strong, String(nonce)))
    expect(await client.expect('registered')).toMatchObject({ id: toHex(strong.id) })
  })

  it('registers any ID with idPuzzleBits 0', async () => {
    started = await fx.start({ idPuzzleBits: 0 })
    const { client, registered } = await connectAndRegister(started.url, identityForPuzzle(BITS, false))
    track(client)
    expect(registered.type).toBe('registered')
  })
})
