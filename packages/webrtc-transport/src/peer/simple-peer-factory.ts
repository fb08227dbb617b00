/**
 * A `PeerFactory` over simple-peer. The constructor is handed in, so that the browser can pass the
 * prebuilt `simple-peer/simplepeer.min.js` (the main entry needs Node shims under Vite) and Node
 * the main entry together with a WebRTC implementation (`wrtc`).
 */
import type SimplePeer from 'simple-peer'
import type { PeerFactory } from './peer.ts'
import { LOOPBACK_ADDRESS } from '../signaling/loopback.ts'

export type SimplePeerConstructor = SimplePeer.SimplePeer
export type Wrtc = NonNullable<SimplePeer.Options['wrtc']>

export interface SimplePeerFactoryOptions {
  /** A WebRTC implementation for environments without one (Node). */
  wrtc?: Wrtc
  /**
   * With `loopbackOnly`, also ask the WebRTC implementation to bind ICE to 127.0.0.1
   * (`bindAddress`, understood by node-datachannel; browsers ignore unknown config keys).
   * node-datachannel gathers no loopback candidate otherwise.
   */
  bindLoopback?: boolean
  /**
   * Every connection's ICE over this one UDP port (libdatachannel's ICE UDP mux, understood by
   * node-datachannel). Without it each connection has a socket of its own, and at a few hundred
   * connections libjuice's poll thread is most of an idle peer's CPU; with it, a fifth of that
   * (`npm run bench:idle`). Two factories in one process need different ports (a connection
   * between two peers on one port does not form), and a second connection between the same two
   * ports does not form while the first is open (libjuice tells them apart by remote address).
   */
  icePort?: number
}

export function simplePeerFactory(Peer: SimplePeerConstructor, options: SimplePeerFactoryOptions = {}): PeerFactory {
  return (init, events) => {
    const config: RTCConfiguration & { bindAddress?: string; enableIceUdpMux?: boolean; portRangeBegin?: number; portRangeEnd?: number } = {
      iceServers: init.iceServers.map((server) => ({ ...server })),
    }
    if (init.loopbackOnly && options.bindLoopback === true) config.bindAddress = LOOPBACK_ADDRESS
    if (options.icePort !== undefined) Object.assign(config, { enableIceUdpMux: true, portRangeBegin: options.icePort, portRangeEnd: options.icePort })
    const peer = new Peer({
      initiator: init.initiator,
      trickle: true,
      config,
      ...(options.wrtc === undefined ? {} : { wrtc: options.wrtc }),
    })
    peer.on('signal', events.signal)
    peer.on('connect', events.connect)
    peer.on('data', events.data)
    peer.on('close', events.close)
    peer.on('error', events.error)
    return {
      // simple-peer's types want DOM RTCIceCandidate objects; it only reads these three fields.
      signal: (data) => peer.signal(data as SimplePeer.SignalData),
      send: (data) => peer.send(data),
      destroy: () => {
        peer.destroy()
        // simple-peer 9.11.1 leaves its ICE-complete timer (5 s) running after destroy, and with
        // it the whole connection and everything its listeners reach: clear it.
        const timer = (peer as unknown as { _iceCompleteTimer?: ReturnType<typeof setTimeout> | null })._iceCompleteTimer
        if (timer !== undefined && timer !== null) clearTimeout(timer)
      },
      get bufferSize() {
        return peer.bufferSize
      },
    }
  }
}
