import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateIdentity } from '@browser-dht/identity/noble'
import { PeerKeys } from '../src/auth/peer-keys.ts'
import { nobleSuite } from '../src/auth/noble-suite.ts'
import { FrameSeal, helloBytes, helloValid, parseHello, TOKEN_BYTES, welcomeBytes, welcomeValid } from '../src/direct/seal.ts'
import { directUrlProblem } from '../src/direct/url.ts'
import { parseSignal } from '../src/signaling/signal.ts'

async function pair() {
  const a = generateIdentity()
  const b = generateIdentity()
  const ab = (await new PeerKeys(a.id, nobleSuite(a), 4).macKeys(b.id, b.publicKey))!
  const ba = (await new PeerKeys(b.id, nobleSuite(b), 4).macKeys(a.id, a.publicKey))!
  return { a, b, ab, ba }
}

describe('direct link seal', () => {
  it('frames open in order, once, in their own direction and under their own token only', async () => {
    const { ab, ba } = await pair()
    const token = new Uint8Array(TOKEN_BYTES).fill(7)
    const atA = new FrameSeal(token, ab)
    const atB = new FrameSeal(token, ba)
    const first = atA.seal(Uint8Array.of(0, 1, 2))
    const second = atA.seal(Uint8Array.of(0, 3))
    // Out of order, reflected back to its sender, or under another connection's token: refused.
    expect(atB.open(second)).toBeUndefined()
    expect(new FrameSeal(token, ab).open(first)).toBeUndefined()
    expect(new FrameSeal(new Uint8Array(TOKEN_BYTES), ba).open(first)).toBeUndefined()
    expect(atB.open(first)).toEqual(Uint8Array.of(0, 1, 2))
    expect(atB.open(first)).toBeUndefined()
    expect(atB.open(second)).toEqual(Uint8Array.of(0, 3))
  })

  it('any change to a sealed frame is refused', async () => {
    const { ab, ba } = await pair()
    const token = new Uint8Array(TOKEN_BYTES).fill(1)
    const sealed = new FrameSeal(token, ab).seal(Uint8Array.of(0, 9, 9, 9))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const altered = Uint8Array.from(sealed)
        altered[at]! ^= flip
        return new FrameSeal(token, ba).open(altered) === undefined
      }),
    )
  })

  it('HELLO and WELCOME check only under the pair keys and token they were made for', async () => {
    const { a, ab, ba } = await pair()
    const token = new Uint8Array(TOKEN_BYTES).fill(3)
    const hello = parseHello(helloBytes(token, a.publicKey, ab))!
    expect(hello.publicKey).toEqual(a.publicKey)
    expect(helloValid(hello, ba)).toBe(true)
    expect(helloValid(hello, ab)).toBe(false)
    expect(parseHello(helloBytes(token, a.publicKey, ab).subarray(1))).toBeUndefined()
    expect(welcomeValid(welcomeBytes(token, ba), token, ab)).toBe(true)
    expect(welcomeValid(welcomeBytes(token, ba), new Uint8Array(TOKEN_BYTES), ab)).toBe(false)
    expect(welcomeValid(welcomeBytes(token, ab), token, ab)).toBe(false)
  })
})

describe('direct URL policy', () => {
  const loopback = { loopbackOnly: true, privateNetworks: false }
  const open = { loopbackOnly: false, privateNetworks: false }
  const lan = { loopbackOnly: false, privateNetworks: true }
  it.each([
    ['ws://127.0.0.1:4000', loopback, true],
    ['ws://127.0.0.1:4000/', loopback, true],
    ['ws://127.0.0.2:4000', loopback, false],
    ['ws://8.8.8.8:4000', loopback, false],
    ['wss://8.8.8.8:443', open, true],
    ['ws://10.1.2.3:4000', open, false],
    ['ws://10.1.2.3:4000', lan, true],
    ['ws://127.0.0.1:6379', open, false],
    ['ws://192.168.1.1:80', open, false],
    ['ws://172.20.0.1:80', open, false],
    ['ws://172.32.0.1:80', open, true],
    ['ws://169.254.169.254:80', lan, false],
    ['ws://0.0.0.0:80', lan, false],
    ['ws://224.0.0.1:80', lan, false],
    ['ws://localhost:4000', lan, false],
    ['ws://example.com:4000', open, false],
    ['http://8.8.8.8:80', open, false],
    ['ws://8.8.8.8', open, false],
    ['ws://8.8.8.8:0', open, false],
    ['ws://8.8.8.8:70000', open, false],
    ['ws://8.8.8.256:80', open, false],
    ['ws://user@8.8.8.8:80', open, false],
    ['ws://8.8.8.8:80/path', open, false],
    ['ws://8.8.8.8:80?q', open, false],
  ])('%s (%o): dialed %s', (url, policy, allowed) => {
    expect(directUrlProblem(url, policy) === undefined).toBe(allowed)
  })
})

describe('direct signals', () => {
  it('parses a direct offer and a decline, and refuses a bad token or an overlong URL', () => {
    const token = 'ab'.repeat(16)
    expect(parseSignal({ v: 1, session: 5, kind: 'direct', url: 'ws://127.0.0.1:1', token, first: true, extra: 1 }, 1000)).toEqual({
      ok: true,
      signal: { v: 1, session: 5, kind: 'direct', url: 'ws://127.0.0.1:1', token, first: true },
    })
    expect(parseSignal({ v: 1, session: 5, kind: 'direct-no' }, 1000)).toEqual({ ok: true, signal: { v: 1, session: 5, kind: 'direct-no' } })
    expect(parseSignal({ v: 1, session: 5, kind: 'direct', url: 'ws://127.0.0.1:1', token: 'AB'.repeat(16) }, 1000).ok).toBe(false)
    expect(parseSignal({ v: 1, session: 5, kind: 'direct', url: 'ws://127.0.0.1:1', token: token + '00' }, 1000).ok).toBe(false)
    expect(parseSignal({ v: 1, session: 5, kind: 'direct', url: 'x'.repeat(65), token }, 1000).ok).toBe(false)
  })
})
