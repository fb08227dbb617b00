import { idFromHex, toHex } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { ClientSignaler, type SignalPayload } from '../src/signaling/client-signaler.ts'
import type { SignalingClient } from '../src/signaling/signaling-client.ts'

const peer = '0123456789abcdef0123456789abcdef01234567'
const offer: SignalPayload = { v: 2, signed: 'AAEC' }

/** The part of SignalingClient the adapter uses, recording what it is asked to send. */
function fakeClient() {
  const sent: { to: string; data: unknown }[] = []
  let listener: ((signal: { from: string; data: unknown }) => void) | undefined
  const client = {
    sendSignal: (to: string, data: unknown) => void sent.push({ to, data }),
    onSignal: (fn: typeof listener) => {
      listener = fn
      return () => (listener = undefined)
    },
  }
  return { client: client as unknown as SignalingClient, sent, receive: (from: string, data: unknown) => listener?.({ from, data }) }
}

describe('ClientSignaler', () => {
  it('sends to the hex ID of the 20-byte ID it is given', () => {
    const fake = fakeClient()
    const signaler = new ClientSignaler()
    signaler.attach(fake.client)
    signaler.send(idFromHex(peer), offer)
    expect(fake.sent).toEqual([{ to: peer, data: offer }])
  })

  it('delivers received signals with the sender as 20 bytes, and drops a malformed sender', () => {
    const fake = fakeClient()
    const signaler = new ClientSignaler()
    const got: [string, unknown][] = []
    signaler.listen((from, signal) => got.push([toHex(from), signal]))
    signaler.attach(fake.client)
    fake.receive(peer, { any: 'thing' })
    fake.receive('not-hex', {})
    expect(got).toEqual([[peer, { any: 'thing' }]])
  })

  it('counts signals it cannot send while no server connection is attached', () => {
    const fake = fakeClient()
    const signaler = new ClientSignaler()
    signaler.send(idFromHex(peer), offer)
    signaler.attach(fake.client)
    signaler.attach(undefined)
    signaler.send(idFromHex(peer), offer)
    expect(signaler.unsent).toBe(2)
    expect(fake.sent).toEqual([])
  })
})
