import { meetsIdPuzzle, puzzleBitsOf, toHex } from '@browser-dht/kademlia'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createIdentity, idFromPublicKey, isUsablePublicKey, restoreIdentity, signMessage } from '../src/index.ts'
import { generateIdentity, identityFromSecretKey, sign, verifySignature } from '../src/noble.ts'

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

  describe('asynchronously, on WebCrypto where it has Ed25519 and on noble where it has not', () => {
    afterEach(() => {
      vi.unstubAllGlobals()
    })
    // An insecure context (a page on plain http) has crypto.getRandomValues but no crypto.subtle.
    const getRandomValues = crypto.getRandomValues.bind(crypto)
    const insecure = (): void => void vi.stubGlobal('crypto', { getRandomValues })
    const platforms = [
      ['WebCrypto', () => {}],
      ['no crypto.subtle', insecure],
      ['WebCrypto without Ed25519', () => vi.stubGlobal('crypto', { getRandomValues, subtle: { importKey: () => Promise.reject(new Error('NotSupportedError')) } })],
    ] as const

    for (const [platform, setUp] of platforms) {
      it(`restores the same identity and signs the same signature as noble (${platform})`, async () => {
        const identities = Array.from({ length: 8 }, generateIdentity)
        setUp()
        for (const identity of identities) {
          const restored = await restoreIdentity(identity.secretKey)
          expect(restored.publicKey).toEqual(identity.publicKey)
          expect(restored.id).toEqual(identity.id)
          const message = Uint8Array.from(identity.id)
          expect(await signMessage(identity.secretKey, message)).toEqual(sign(identity.secretKey, message))
        }
      })
    }

    it('refuses a secret key of the wrong length with a TypeError', async () => {
      await expect(restoreIdentity(new Uint8Array(31))).rejects.toThrow(TypeError)
      await expect(signMessage(new Uint8Array(64), new Uint8Array(1))).rejects.toThrow(TypeError)
      expect(() => identityFromSecretKey(new Uint8Array(33))).toThrow(TypeError)
    })

    it('creates a puzzle-solving identity without crypto.subtle (noble, loaded on demand)', async () => {
      insecure()
      const identity = await createIdentity({ puzzleBits: 4 })
      expect(meetsIdPuzzle(identity.id, 4)).toBe(true)
      expect(identityFromSecretKey(identity.secretKey).id).toEqual(identity.id)
    })
  })
})
