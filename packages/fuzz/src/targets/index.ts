/** Every fuzz target, one per parser or handler that takes bytes from a peer or a client. */
import type { FuzzTarget } from '../target.ts'
import { clientFrame } from './client-frame.ts'
import { dhtCodec } from './dht-codec.ts'
import { dhtNode } from './dht-node.ts'
import { frames } from './frames.ts'
import { relayAuth } from './relay-auth.ts'
import { serverFrame } from './server-frame.ts'
import { signalingServer } from './signaling-server.ts'
import { signedSignal } from './signed-signal.ts'
import { transport } from './transport.ts'

export const TARGETS: readonly FuzzTarget[] = [dhtCodec, dhtNode, frames, transport, signedSignal, relayAuth, clientFrame, serverFrame, signalingServer]
