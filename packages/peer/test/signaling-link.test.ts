import type { Clock, TimerHandle } from '@browser-dht/kademlia'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { ClientSignaler } from '../src/signaling/client-signaler.ts'
import { DEFAULT_MAX_RETRY_MS, SignalingLink, type SignalingState } from '../src/signaling/signaling-link.ts'
import { generateIdentity } from '@browser-dht/identity/noble'
import { CloseCode, SignalingErrorCode } from '@browser-dht/signaling-server/protocol'
import { connectAndRegister, type RawClient, type Started, startServer } from './server-helpers.ts'

let started: Started | undefined
const links: SignalingLink[] = []
const holders: RawClient[] = []

afterEach(async () => {
  for (const link of links.splice(0)) link.stop()
  for (const holder of holders.splice(0)) holder.close()
  await started?.server.close()
  started = undefined
})

/** A clock whose timers only record their delay (the test fires them), at a fixed time. */
function recordingClock() {
  const timers: { ms: number; fire: () => void }[] = []
  const clock: Clock = {
    now: () => 1000,
    setTimeout: (fire, ms) => {
      timers.push({ ms, fire })
      return timers.length as unknown as TimerHandle
    },
    clearTimeout: () => {},
  }
  return { clock, timers }
}

/** The draw that leaves a wait as it is (backoffMs multiplies by 0.5 + float()). */
const UNDRAWN = { float: () => 0.5 }

function link(url: string, clock: Clock, states: SignalingState[], random: { float(): number } = UNDRAWN): SignalingLink {
  const created = new SignalingLink({ url, identity: generateIdentity(), signaler: new ClientSignaler(), retryMs: 3000, WebSocket, clock, random, onPeers: () => {}, onState: (state) => states.push(state) })
  links.push(created)
  return created
}

describe('SignalingLink', () => {
  it('shows why the server refused it for a cap and waits twice as long after each refusal in a row, up to maxRetryMs', async () => {
    started = await startServer({ maxSocketsPerAddress: 1 })
    holders.push((await connectAndRegister(started.url)).client) // holds 127.0.0.1's only socket
    const { clock, timers } = recordingClock()
    const states: SignalingState[] = []
    const refused = link(started.url, clock, states)
    refused.start()
    for (let attempt = 1; attempt <= 6; attempt++) {
      await expect.poll(() => timers.length).toBe(attempt)
      if (attempt < 6) timers[attempt - 1]!.fire()
    }
    expect(timers.map(({ ms }) => ms)).toEqual([6000, 12_000, 24_000, 48_000, DEFAULT_MAX_RETRY_MS, DEFAULT_MAX_RETRY_MS])
    expect(refused.state).toMatchObject({ kind: 'unreachable', code: SignalingErrorCode.ADDRESS_FULL, retryAt: 1000 + DEFAULT_MAX_RETRY_MS })
    expect((refused.state as { reason: string }).reason).toContain('too many connections from your address')

    // Once the socket is free it connects, and the next failure waits retryMs again.
    holders.splice(0).forEach((holder) => holder.close())
    await expect.poll(() => started!.server.stats().clients).toBe(0)
    timers.at(-1)!.fire()
    await expect.poll(() => refused.state.kind).toBe('connected')
    await started.server.close()
    await expect.poll(() => timers.length).toBe(7)
    expect(timers[6]!.ms).toBe(3000)
    expect(refused.state).toMatchObject({ kind: 'unreachable', closeCode: CloseCode.GOING_AWAY })
    expect((refused.state as { reason: string }).reason).toContain('server shutting down')
    started = undefined
  })

  it('draws each wait around its value, so the tabs of a restarted server do not all come back at once', async () => {
    started = await startServer()
    const url = started.url
    await started.server.close()
    started = undefined
    const waits: number[] = []
    for (const draw of [0, 0.25, 0.75, 0.999]) {
      const { clock, timers } = recordingClock()
      link(url, clock, [], { float: () => draw }).start()
      await expect.poll(() => timers.length).toBe(1)
      waits.push(timers[0]!.ms)
    }
    expect(waits).toEqual([1500, 2250, 3750, 4497])
  })

  it('retries after retryMs when the server is simply unreachable', async () => {
    started = await startServer()
    const url = started.url
    await started.server.close()
    started = undefined
    const { clock, timers } = recordingClock()
    const states: SignalingState[] = []
    link(url, clock, states).start()
    await expect.poll(() => timers.length).toBe(1)
    expect(timers[0]!.ms).toBe(3000)
    expect(states.at(-1)).toMatchObject({ kind: 'unreachable', code: 'ERR_CLOSED', retryAt: 4000 })
  })
})
