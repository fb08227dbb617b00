/**
 * The AuthSuite over @noble/curves, imported statically: for tests, tools and the fuzzer. The
 * transport itself loads the curves on demand (`lazyNobleSuite` in suite.ts).
 */
import { ed25519, x25519 } from '@browser-dht/kademlia/noble-fallback'
import type { NodeIdentity } from '@browser-dht/identity'
import { type AuthSuite, curvesSuite } from './suite.ts'

export function nobleSuite(identity: NodeIdentity): AuthSuite {
  return curvesSuite({ ed25519, x25519 }, identity)
}
