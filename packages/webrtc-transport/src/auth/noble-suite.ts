/**
 * The AuthSuite over @noble/curves, imported statically: for tests, tools and the fuzzer. The
 * transport itself loads the curves on demand (`lazyNobleSuite` in suite.ts).
 */
import * as curves from '@noble/curves/ed25519.js'
import type { NodeIdentity } from '@browser-dht/identity'
import { type AuthSuite, curvesSuite } from './suite.ts'

export function nobleSuite(identity: NodeIdentity): AuthSuite {
  return curvesSuite(curves, identity)
}
