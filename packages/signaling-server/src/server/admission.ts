/**
 * The per-address caps, so that no one address or network can take the server over: open
 * WebSockets per client address and per network (/24, /48), and `register` attempts a minute per
 * address and per network (one TokenBucket each). All state is bounded: a socket count is
 * removed when it drops to zero (so there are at most two per open connection), a registration
 * bucket once it has refilled, and beyond `maxTrackedAddresses` the least recently used bucket.
 */
import type { Tunables } from '../options.ts'
import { CloseCode, SignalingErrorCode } from '../protocol/error-codes.ts'
import type { ClientAddress } from './address.ts'
import { TokenBucket } from '@browser-dht/kademlia'

/** Why a client is refused: the error frame's code and message, then the close code and reason. */
export interface Refusal {
  readonly code: SignalingErrorCode
  readonly message: string
  readonly closeCode: number
  /** The close frame's reason (at most 123 bytes). */
  readonly reason: string
}

export const REFUSALS = {
  addressFull: {
    code: SignalingErrorCode.ADDRESS_FULL,
    message: 'too many connections from your address; try again later',
    closeCode: CloseCode.ADDRESS_FULL,
    reason: 'too many connections from your address',
  },
  networkFull: {
    code: SignalingErrorCode.NETWORK_FULL,
    message: 'too many connections from your network; try again later',
    closeCode: CloseCode.NETWORK_FULL,
    reason: 'too many connections from your network',
  },
  addressRate: {
    code: SignalingErrorCode.ADDRESS_REGISTER_RATE,
    message: 'too many registrations from your address; wait a minute',
    closeCode: CloseCode.ADDRESS_REGISTER_RATE,
    reason: 'registrations too fast from your address',
  },
  networkRate: {
    code: SignalingErrorCode.NETWORK_REGISTER_RATE,
    message: 'too many registrations from your network; wait a minute',
    closeCode: CloseCode.NETWORK_REGISTER_RATE,
    reason: 'registrations too fast from your network',
  },
} as const satisfies Record<string, Refusal>

/** Least recently used buckets looked at for removal after each registration: O(1) cleanup. */
const SWEEP_PER_REGISTRATION = 2

type Caps = Pick<Tunables, 'maxSocketsPerAddress' | 'maxSocketsPerNetwork' | 'registrationsPerMinutePerAddress' | 'registrationsPerMinutePerNetwork' | 'maxTrackedAddresses'>

export class Admission {
  readonly #caps: Caps
  readonly #now: () => number
  /** Open sockets per `a <ip>` and `n <network>`; no zero entries. */
  readonly #sockets = new Map<string, number>()
  /** Registration buckets per `a <ip>` and `n <network>`, least recently used first. */
  readonly #buckets = new Map<string, TokenBucket>()

  constructor(caps: Caps, now: () => number) {
    this.#caps = caps
    this.#now = now
  }

  /** Counts a new socket from `address`, or returns why it is refused (then nothing is counted). */
  admitSocket(address: ClientAddress): Refusal | undefined {
    const sockets = this.socketsFrom(address)
    if (sockets.address >= this.#caps.maxSocketsPerAddress) return REFUSALS.addressFull
    if (sockets.network >= this.#caps.maxSocketsPerNetwork) return REFUSALS.networkFull
    this.#count(`a ${address.ip}`, 1)
    this.#count(`n ${address.network}`, 1)
    return undefined
  }

  /** Uncounts a socket `admitSocket` counted; call exactly once per admitted socket. */
  releaseSocket(address: ClientAddress): void {
    this.#count(`a ${address.ip}`, -1)
    this.#count(`n ${address.network}`, -1)
  }

  /** Takes a registration token of the address, then of its network; returns why not if either is empty. */
  admitRegistration(address: ClientAddress): Refusal | undefined {
    if (!this.#take(`a ${address.ip}`, this.#caps.registrationsPerMinutePerAddress)) return REFUSALS.addressRate
    if (!this.#take(`n ${address.network}`, this.#caps.registrationsPerMinutePerNetwork)) return REFUSALS.networkRate
    return undefined
  }

  /** Open sockets counted for the address and for its network. */
  socketsFrom(address: ClientAddress): { address: number; network: number } {
    return { address: this.#sockets.get(`a ${address.ip}`) ?? 0, network: this.#sockets.get(`n ${address.network}`) ?? 0 }
  }

  /** Entries held: socket counts and registration buckets (to check that state stays bounded). */
  get tracked(): { sockets: number; buckets: number } {
    return { sockets: this.#sockets.size, buckets: this.#buckets.size }
  }

  #count(key: string, delta: number): void {
    const count = (this.#sockets.get(key) ?? 0) + delta
    if (count > 0) this.#sockets.set(key, count)
    else this.#sockets.delete(key)
  }

  #take(key: string, perMinute: number): boolean {
    const bucket = this.#buckets.get(key) ?? new TokenBucket({ burst: perMinute, perSecond: perMinute / 60, now: this.#now })
    this.#buckets.delete(key)
    this.#buckets.set(key, bucket)
    const taken = bucket.take()
    // Oldest first: a refilled bucket is the same as none. The one just used is never full here.
    for (let i = 0; i < SWEEP_PER_REGISTRATION; i++) {
      const [oldestKey, oldest] = this.#buckets.entries().next().value ?? []
      if (oldestKey === undefined || oldest === undefined || !oldest.isFull()) break
      this.#buckets.delete(oldestKey)
    }
    while (this.#buckets.size > this.#caps.maxTrackedAddresses) this.#buckets.delete(this.#buckets.keys().next().value!)
    return taken
  }
}
