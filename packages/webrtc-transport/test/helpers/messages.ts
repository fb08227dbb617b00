import type { Message } from '@browser-dht/kademlia'

export function ping(rid: number): Message {
  return { type: 'PING', rid }
}
