/**
 * The per-address caps against the attacks they are for. Every socket stays on 127.0.0.1: other
 * source addresses are X-Forwarded-For headers to a server with `trustProxy`.
 */
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { generateIdentity, registerFrame } from '../src/identity.ts'
import { DEFAULTS } from '../src/options.ts'
import { CloseCode, SignalingErrorCode } from '../src/protocol/error-codes.ts'
import { connectAndRegister, RawClient, type RawClientOptions, type Started, useServerAndClients } from './helpers.ts'

const fx = useServerAndClients()
const { track, register } = fx
let started: Started

/** What a socket got first: the challenge, or the error frame and close code of a refusal. */
async function outcome(client: RawClient): Promise<string> {
  const frame = await client.next()
  if (frame.type === 'challenge') return 'challenge'
  const { code } = await client.closed
  return `${String(frame.code)} ${code}`
}

/** Opens `count` sockets (each with `options(i)`) and tallies their outcomes. */
async function flood(count: number, options: (i: number) => RawClientOptions): Promise<Record<string, number>> {
  const clients = Array.from({ length: count }, (_, i) => track(new RawClient(started.url, options(i))))
  const outcomes = await Promise.all(clients.map(outcome))
  const tally: Record<string, number> = {}
  for (const result of outcomes) tally[result] = (tally[result] ?? 0) + 1
  return tally
}

/** Registers from `forwardedFor` and checks the server answers and relays for it. */
async function expectServed(forwardedFor: string): Promise<void> {
  const honest = await register(started.url, { forwardedFor })
  const other = await register(started.url, { forwardedFor: '192.0.2.99' })
  honest.client.send({ type: 'signal', to: other.id, data: { hello: 1 } })
  expect(await other.client.expect('signal')).toMatchObject({ from: honest.id, data: { hello: 1 } })
  honest.client.send({ type: 'peers' })
  expect((await honest.client.expect('peers')).peers).toContain(other.id)
}

function logged(code: string): number {
  return started.log.filter((line) => line.startsWith('error ') && line.includes(` ${code} `)).length
}

describe('per-address caps', () => {
  it('refuses the sockets of one address beyond maxSocketsPerAddress with ERR_ADDRESS_FULL and close 4001, and still serves another address', async () => {
    started = await fx.start({ trustProxy: true })
    // The attacker sends no X-Forwarded-For: its address is the TCP peer's, 127.0.0.1.
    const tally = await flood(60, () => ({}))
    const cap = DEFAULTS.maxSocketsPerAddress
    expect(tally).toEqual({ challenge: cap, [`${SignalingErrorCode.ADDRESS_FULL} ${CloseCode.ADDRESS_FULL}`]: 60 - cap })
    expect(logged(SignalingErrorCode.ADDRESS_FULL)).toBe(60 - cap)
    expect(started.server.stats().clients).toBe(cap)
    await expectServed('198.51.100.7')
  })

  it('caps a /24 flooding from many addresses at maxSocketsPerNetwork with ERR_NETWORK_FULL and close 4002', async () => {
    started = await fx.start({ trustProxy: true })
    // 100 addresses of 203.0.113.0/24, one socket each: under the per-address cap, over the /24's.
    const tally = await flood(100, (i) => ({ forwardedFor: `203.0.113.${i + 1}` }))
    const cap = DEFAULTS.maxSocketsPerNetwork
    expect(tally).toEqual({ challenge: cap, [`${SignalingErrorCode.NETWORK_FULL} ${CloseCode.NETWORK_FULL}`]: 100 - cap })
    expect(logged(SignalingErrorCode.NETWORK_FULL)).toBe(100 - cap)
    // The neighbouring /24 is another network.
    await expectServed('203.0.114.1')
  })

  it('counts an IPv4-mapped IPv6 address as IPv4, and IPv6 addresses by their /48', async () => {
    started = await fx.start({ trustProxy: true, maxSocketsPerAddress: 1, maxSocketsPerNetwork: 2 })
    const tally = await flood(6, (i) => ({ forwardedFor: ['10.9.8.7', '::ffff:10.9.8.7', '::ffff:10.9.8.8', '2001:db8:1:1::1', '2001:db8:1:ffff::2', '2001:db8:1::3'][i]! }))
    // ::ffff:10.9.8.7 is 10.9.8.7 (one of the two is refused); ::ffff:10.9.8.8 is its /24's second;
    // the three IPv6 addresses share 2001:db8:1::/48, so the third is refused.
    expect(tally).toEqual({
      challenge: 4,
      [`${SignalingErrorCode.ADDRESS_FULL} ${CloseCode.ADDRESS_FULL}`]: 1,
      [`${SignalingErrorCode.NETWORK_FULL} ${CloseCode.NETWORK_FULL}`]: 1,
    })
  })

  it('takes the last X-Forwarded-For entry only with trustProxy, so a client cannot pick its address', async () => {
    started = await fx.start({ trustProxy: true, maxSocketsPerAddress: 1 })
    // The proxy appends the real address last; what the client put before it does not count.
    const tally = await flood(3, (i) => ({ forwardedFor: `10.0.${i}.1, 198.51.100.20` }))
    expect(tally).toEqual({ challenge: 1, [`${SignalingErrorCode.ADDRESS_FULL} ${CloseCode.ADDRESS_FULL}`]: 2 })
    await started.server.close()
    started = await fx.start({ maxSocketsPerAddress: 1 })
    // Without trustProxy the header is ignored: all three are 127.0.0.1.
    expect(await flood(3, (i) => ({ forwardedFor: `10.0.${i}.1` }))).toEqual({ challenge: 1, [`${SignalingErrorCode.ADDRESS_FULL} ${CloseCode.ADDRESS_FULL}`]: 2 })
  })

  it('refuses registrations beyond the per-minute rate of an address (4003) and of its network (4004), until the minute has passed', async () => {
    let now = 0
    started = await fx.start({ trustProxy: true, registrationsPerMinutePerAddress: 3, registrationsPerMinutePerNetwork: 5, now: () => now })
    const attempt = async (forwardedFor: string): Promise<string> => {
      const client = track(new RawClient(started.url, { forwardedFor }))
      const { nonce } = await client.expect('challenge')
      client.send(await registerFrame(generateIdentity(), String(nonce)))
      const frame = await client.next()
      client.close()
      if (frame.type === 'registered') return 'registered'
      return `${String(frame.code)} ${(await client.closed).code}`
    }
    const results = []
    for (let i = 0; i < 4; i++) results.push(await attempt('10.2.3.4'))
    for (let i = 0; i < 3; i++) results.push(await attempt('10.2.3.5'))
    expect(results).toEqual([
      'registered', 'registered', 'registered', `${SignalingErrorCode.ADDRESS_REGISTER_RATE} ${CloseCode.ADDRESS_REGISTER_RATE}`,
      'registered', 'registered', `${SignalingErrorCode.NETWORK_REGISTER_RATE} ${CloseCode.NETWORK_REGISTER_RATE}`,
    ])
    expect(logged(SignalingErrorCode.ADDRESS_REGISTER_RATE)).toBe(1)
    expect(logged(SignalingErrorCode.NETWORK_REGISTER_RATE)).toBe(1)
    expect(await attempt('10.2.4.4')).toBe('registered') // another /24
    now += 60_000
    expect(await attempt('10.2.3.4')).toBe('registered')
  })

  it('terminates a refused socket that never answers the close frame after refusedGraceMs', async () => {
    started = await fx.start({ maxSocketsPerAddress: 1, refusedGraceMs: 200 })
    track((await connectAndRegister(started.url)).client)
    // A raw handshake that then ignores everything the server sends.
    const { port } = new URL(started.url)
    const socket = connect(Number(port), '127.0.0.1')
    socket.write(`GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    const began = performance.now()
    await new Promise((resolve) => socket.on('close', resolve))
    expect(received).toContain('101 Switching Protocols')
    expect(received).toContain(SignalingErrorCode.ADDRESS_FULL)
    expect(performance.now() - began).toBeLessThan(3000)
  })
})
