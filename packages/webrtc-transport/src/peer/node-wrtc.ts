/**
 * Adapts node-datachannel's W3C polyfill (`node-datachannel/polyfill`, 0.33.x) to simple-peer.
 * Its createOffer/createAnswer resolve to RTCSessionDescription objects whose `sdp` has no
 * setter, and simple-peer assigns `offer.sdp = sdpTransform(offer.sdp)`; the wrapper returns
 * plain `{ type, sdp }` objects instead. The polyfill module is handed in, so this package does
 * not depend on node-datachannel at run time.
 */
import type { Wrtc } from './simple-peer-factory.ts'

interface Description {
  readonly type: string
  readonly sdp: string
}

interface PolyfillPeerConnection {
  createOffer(options?: unknown): Promise<Description>
  createAnswer(options?: unknown): Promise<Description>
}

/** The part of `node-datachannel/polyfill` used here. */
export interface WrtcPolyfill {
  RTCPeerConnection: new (config?: never) => PolyfillPeerConnection
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
}

export function plainDescriptionWrtc(polyfill: WrtcPolyfill): Wrtc {
  class PlainDescriptionPeerConnection extends polyfill.RTCPeerConnection {
    override async createOffer(options?: unknown): Promise<Description> {
      const { type, sdp } = await super.createOffer(options)
      return { type, sdp }
    }

    override async createAnswer(options?: unknown): Promise<Description> {
      const { type, sdp } = await super.createAnswer(options)
      return { type, sdp }
    }
  }
  // simple-peer's types name the DOM classes; the polyfill implements the same surface.
  return {
    RTCPeerConnection: PlainDescriptionPeerConnection,
    RTCSessionDescription: polyfill.RTCSessionDescription,
    RTCIceCandidate: polyfill.RTCIceCandidate,
  } as unknown as Wrtc
}
