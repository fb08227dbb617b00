import { keyOf, toHex } from '@browser-dht/kademlia'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes as hexBytes } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { challengeMessage, generateIdentity, identityFromSecretKey, registerFrame, verifyChallenge } from '../src/identity.ts'

const NONCE = '5a'.repeat(32)
const OTHER_NONCE = 'a5'.repeat(32)

describe('identity', () => {
  it('derives the node ID as the SHA-1 of the 32-byte public key', () => {
    const identity = generateIdentity()
    expect(identity.publicKey).toHaveLength(32)
    expect(toHex(identity.id)).toBe(toHex(keyOf(identity.publicKey)))
    expect(toHex(identityFromSecretKey(identity.secretKey).id)).toBe(toHex(identity.id))
  })

  it('signs the domain prefix followed by the nonce hex', () => {
    expect(new TextDecoder().decode(challengeMessage(NONCE))).toBe(`browser-dht/signaling/v1:${NONCE}`)
    expect(() => challengeMessage('XYZ')).toThrow(TypeError)
  })

  it('verifies an answer to its own nonce and yields the signer\'s ID', async () => {
    const identity = generateIdentity()
    const frame = await registerFrame(identity, NONCE)
    expect(verifyChallenge({ nonce: NONCE, publicKey: frame.publicKey, signature: frame.signature })).toBe(toHex(identity.id))
  })

  it('rejects an answer to another nonce, under another key, or tampered with', async () => {
    const identity = generateIdentity()
    const frame = await registerFrame(identity, NONCE)
    const other = bytesToHex(generateIdentity().publicKey)
    const flipped = (frame.signature[0] === '0' ? '1' : '0') + frame.signature.slice(1)
    expect(verifyChallenge({ nonce: OTHER_NONCE, publicKey: frame.publicKey, signature: frame.signature })).toBeUndefined()
    expect(verifyChallenge({ nonce: NONCE, publicKey: other, signature: frame.signature })).toBeUndefined()
    expect(verifyChallenge({ nonce: NONCE, publicKey: frame.publicKey, signature: flipped })).toBeUndefined()
    expect(verifyChallenge({ nonce: NONCE, publicKey: 'ff'.repeat(32), signature: frame.signature })).toBeUndefined()
    expect(verifyChallenge({ nonce: NONCE, publicKey: frame.publicKey, signature: '00' })).toBeUndefined()
  })

  it('rejects a small-order public key with a forged signature that lenient ZIP-215 verification accepts', () => {
    // Public key A = identity, R = identity, S = 0 satisfies [S]B = R + [k]A for any message.
    const identityPoint = bytesToHex(ed25519.Point.ZERO.toBytes())
    const forged = identityPoint + '00'.repeat(32)
    expect(ed25519.verify(hexBytes(forged), challengeMessage(NONCE), hexBytes(identityPoint))).toBe(true)
    expect(verifyChallenge({ nonce: NONCE, publicKey: identityPoint, signature: forged })).toBeUndefined()
  })
})
