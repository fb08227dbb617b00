import { meetsIdPuzzle, puzzleBitsOf, toHex } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createIdentity, generateIdentity, identityFromSecretKey, idFromPublicKey, isUsablePublicKey, sign, verifySignature } from '../src/index.ts'

describe('a node identity', () => {
  it('has the SHA-1 of its public key as its ID, and the same secret key gives the same identity', () => {
    const identity = generateIdentity()
    expect(identity.id).toEqual(idFromPublicKey(identity.publicKey))
    const again = identityFromSecretKey(identity.secretKey)
    expect(toHex(again.id)).toBe(toHex(identity.id))
    expect(again.publicKey).toEqual(identity.publicKey)
    expect(isUsablePublicKey(identity.publicKey)).toBe(true)
  })

  it('signs what only its own public key verifies, and a changed byte fails', () => {
    const [alice, mallory] = [generateIdentity(), generateIdentity()]
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), (message, at) => {
        const signature = sign(alice.secretKey, message)
        expect(verifySignature(signature, message, alice.publicKey)).toBe(true)
        expect(verifySignature(signature, message, mallory.publicKey)).toBe(false)
        const forged = signature.slice()
        forged[at % forged.length]! ^= 1
        expect(verifySignature(forged, message, alice.publicKey)).toBe(false)
      }),
      { numRuns: 50 },
    )
  })

  it('created with a puzzle of c bits has an ID whose SHA-1 starts with c zero bits', async () => {
    const identity = await createIdentity({ puzzleBits: 8 })
    expect(meetsIdPuzzle(identity.id, 8)).toBe(true)
    expect(puzzleBitsOf(identity.id)).toBeGreaterThanOrEqual(8)
    expect(identityFromSecretKey(identity.secretKey).id).toEqual(identity.id)
  })

  it('stops searching when aborted, with the signal’s reason', async () => {
    const controller = new AbortController()
    const reason = new Error('enough')
    const search = createIdentity({ puzzleBits: 24, signal: controller.signal, onProgress: () => controller.abort(reason) })
    await expect(search).rejects.toBe(reason)
  })

  it('refuses a puzzle outside 0..max', async () => {
    await expect(createIdentity({ puzzleBits: -1 })).rejects.toThrow(RangeError)
    await expect(createIdentity({ puzzleBits: 1.5 })).rejects.toThrow(RangeError)
  })
})
