import { compareBytes } from '@browser-dht/kademlia'
import { type NodeIdentity } from '@browser-dht/identity'
import { generateIdentity } from '@browser-dht/identity/noble'

/** Two fresh identities, the one with the lower node ID first, for tests where the order matters. */
export function orderedIdentities(): { low: NodeIdentity; high: NodeIdentity } {
  const [a, b] = [generateIdentity(), generateIdentity()]
  return compareBytes(a.id, b.id) < 0 ? { low: a, high: b } : { low: b, high: a }
}
