import { cryptoRandom, type Id } from '@browser-dht/kademlia'

/** A low and a high ID (first byte 0x01 and 0xfe), for tests where the order matters. */
export function orderedIds(): { low: Id; high: Id } {
  const low = cryptoRandom().bytes(20)
  const high = cryptoRandom().bytes(20)
  low[0] = 0x01
  high[0] = 0xfe
  return { low, high }
}
