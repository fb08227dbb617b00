/**
 * What the server counts for `/metrics`, and the metric families it is served as. Every label
 * value comes from a fixed set (the error codes of `error-codes.ts`), so the number of series is
 * the same however many clients come and go or what they send.
 */
import { SignalingErrorCode } from '../protocol/error-codes.ts'
import type { MetricFamily } from '../prometheus.ts'

export class SignalingCounters {
  /** `register` frames accepted (a replacement of a live registration counts too). */
  registrations = 0
  /** `signal` frames passed on to their addressee. */
  signalsRelayed = 0
  /** Error frames sent, by code: every code of `SignalingErrorCode` from the start, and no other. */
  readonly refusals = new Map<string, number>(Object.values(SignalingErrorCode).map((code) => [code, 0]))

  /** Counts an error frame; a code outside `SignalingErrorCode` (none is sent) is not counted. */
  refused(code: string): void {
    const count = this.refusals.get(code)
    if (count !== undefined) this.refusals.set(code, count + 1)
  }
}

/** The families of `/metrics`: two gauges read now, three counters since the server started. */
export function signalingMetrics(counters: SignalingCounters, now: { clients: number; registered: number }): MetricFamily[] {
  return [
    { name: 'signaling_clients', type: 'gauge', help: 'Open WebSocket connections, registered or not.', samples: [{ value: now.clients }] },
    { name: 'signaling_registered_ids', type: 'gauge', help: 'Node IDs registered now.', samples: [{ value: now.registered }] },
    { name: 'signaling_registrations_total', type: 'counter', help: 'Registrations accepted.', samples: [{ value: counters.registrations }] },
    { name: 'signaling_signals_relayed_total', type: 'counter', help: 'Signals relayed to a registered peer.', samples: [{ value: counters.signalsRelayed }] },
    {
      name: 'signaling_refusals_total',
      type: 'counter',
      help: 'Error frames sent (refused frames, registrations and connections), by error code.',
      samples: [...counters.refusals].map(([reason, value]) => ({ labels: { reason }, value })),
    },
  ]
}
