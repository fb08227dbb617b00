import { describe, expect, it } from 'vitest'
import { addressOf, type ClientAddress } from '../src/server/address.ts'
import { Admission, REFUSALS } from '../src/server/admission.ts'

const caps = { maxSocketsPerAddress: 2, maxSocketsPerNetwork: 3, registrationsPerMinutePerAddress: 2, registrationsPerMinutePerNetwork: 3, maxTrackedAddresses: 4 }
const at = (ip: string): ClientAddress => addressOf(ip)!

describe('addressOf', () => {
  it('reads IPv4, IPv6 and IPv4-mapped IPv6 in their usual notations', () => {
    expect(addressOf('192.0.2.33')).toEqual({ ip: '192.0.2.33', network: '192.0.2.0/24' })
    expect(addressOf('::ffff:192.0.2.33')).toEqual({ ip: '192.0.2.33', network: '192.0.2.0/24' })
    expect(addressOf('::FFFF:c000:221')).toEqual({ ip: '192.0.2.33', network: '192.0.2.0/24' })
    expect(addressOf(' [2001:DB8:a::1%eth0] ')).toEqual({ ip: '2001:0db8:000a:0000:0000:0000:0000:0001', network: '2001:0db8:000a::/48' })
    expect(addressOf('2001:db8:a:0:0:0:0:1')).toEqual(addressOf('2001:db8:a::1'))
    expect(addressOf('64:ff9b::192.0.2.33')?.ip).toBe('0064:ff9b:0000:0000:0000:0000:c000:0221')
    for (const bad of ['', 'localhost', '1.2.3', '192.0.2.33:80', '::g']) expect(addressOf(bad)).toBeUndefined()
  })
})

describe('Admission', () => {
  it('counts sockets per address and per network, and forgets a count that drops to zero', () => {
    const admission = new Admission(caps, () => 0)
    expect(admission.admitSocket(at('10.0.0.1'))).toBeUndefined()
    expect(admission.admitSocket(at('10.0.0.1'))).toBeUndefined()
    expect(admission.admitSocket(at('10.0.0.1'))).toBe(REFUSALS.addressFull)
    expect(admission.admitSocket(at('10.0.0.2'))).toBeUndefined()
    expect(admission.admitSocket(at('10.0.0.3'))).toBe(REFUSALS.networkFull)
    expect(admission.tracked.sockets).toBe(3) // two addresses and their /24
    admission.releaseSocket(at('10.0.0.1'))
    expect(admission.admitSocket(at('10.0.0.3'))).toBeUndefined()
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) admission.releaseSocket(at(ip))
    expect(admission.tracked.sockets).toBe(0)
  })

  it('drops a registration bucket once it has refilled, and keeps at most maxTrackedAddresses', () => {
    let now = 0
    const admission = new Admission(caps, () => now)
    expect(admission.admitRegistration(at('10.0.0.1'))).toBeUndefined()
    expect(admission.admitRegistration(at('10.0.0.1'))).toBeUndefined()
    expect(admission.admitRegistration(at('10.0.0.1'))).toBe(REFUSALS.addressRate)
    expect(admission.tracked.buckets).toBe(2)
    now += 60_000 // both refilled: the next registration sweeps them
    expect(admission.admitRegistration(at('10.0.1.1'))).toBeUndefined()
    expect(admission.tracked.buckets).toBe(2)
    for (let i = 2; i < 40; i++) admission.admitRegistration(at(`10.0.${i}.1`))
    expect(admission.tracked.buckets).toBe(caps.maxTrackedAddresses)
  })
})
