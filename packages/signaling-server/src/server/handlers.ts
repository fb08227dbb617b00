/**
 * One handler per client frame type. Each gets the hub (registry, bounds, send/reject/close)
 * and the connection the frame came from; a violation becomes an error frame via `hub.reject`.
 */
import { fromHex, meetsIdPuzzle } from '@browser-dht/kademlia'
import { idFromPublicKey, verifyChallenge } from '../identity.ts'
import { CloseCode, SignalingErrorCode } from '../protocol/error-codes.ts'
import type { ClientFrame, PeersRequestFrame, RegisterFrame, SignalRequestFrame } from '../protocol/frames.ts'
import type { Connection } from './connection.ts'
import type { Hub } from './hub.ts'

export function dispatch(hub: Hub, connection: Connection, frame: ClientFrame): void {
  switch (frame.type) {
    case 'register':
      return handleRegister(hub, connection, frame)
    case 'signal':
      return handleSignal(hub, connection, frame)
    case 'peers':
      return handlePeers(hub, connection, frame)
  }
}

/**
 * Registers the ID the signature proves, cheap checks first: the ID is the SHA-1 of the public
 * key, it must solve the ID puzzle (one more SHA-1), the address and its network must have a
 * registration token left (else the connection is refused and closed), and only then is the
 * ed25519 signature verified. If a live connection holds that ID, the newer proof wins: the
 * older connection gets ERR_REPLACED and close 4000 (see PROTOCOL.md, "Collisions").
 */
function handleRegister(hub: Hub, connection: Connection, frame: RegisterFrame): void {
  if (connection.id !== undefined) {
    return hub.reject(connection, SignalingErrorCode.ALREADY_REGISTERED, 'this connection is already registered')
  }
  const bits = hub.tunables.idPuzzleBits
  // (The parser took publicKey only as 64 lowercase hex digits.)
  if (!meetsIdPuzzle(idFromPublicKey(fromHex(frame.publicKey)!), bits)) {
    return hub.reject(connection, SignalingErrorCode.WEAK_ID, `this ID does not solve the ID puzzle: SHA-1(ID) must start with ${bits} zero bits`)
  }
  const refusal = hub.admission.admitRegistration(connection.address)
  if (refusal !== undefined) return hub.refuse(connection, refusal)
  const id = verifyChallenge({ nonce: connection.nonce, publicKey: frame.publicKey, signature: frame.signature })
  if (id === undefined) {
    return hub.reject(connection, SignalingErrorCode.BAD_SIGNATURE, 'the signature does not verify over this connection\'s challenge')
  }
  connection.id = id
  clearTimeout(connection.registerTimer)
  const previous = hub.registry.set(id, connection, connection.address.network)
  if (previous !== undefined && previous !== connection) {
    hub.send(previous, { type: 'error', code: SignalingErrorCode.REPLACED, message: 'this ID registered from another connection' })
    hub.close(previous, CloseCode.REPLACED, 'replaced by a newer connection')
  }
  hub.counters.registrations++
  hub.send(connection, { type: 'registered', id, peers: hub.registry.sample(hub.tunables.maxPeersPerReply, id) })
}

/** Relays `data` to the registered peer `to`, with `from` set to the sender's registered ID. */
function handleSignal(hub: Hub, connection: Connection, frame: SignalRequestFrame): void {
  if (connection.id === undefined) {
    return hub.reject(connection, SignalingErrorCode.NOT_REGISTERED, 'register before signaling')
  }
  if (frame.to === connection.id) {
    return hub.reject(connection, SignalingErrorCode.INVALID_FIELD, 'to must not be your own ID')
  }
  const target = hub.registry.get(frame.to)
  if (target === undefined || target.closing) {
    return hub.reject(connection, SignalingErrorCode.UNKNOWN_PEER, 'no such peer is registered', frame.to)
  }
  if (target.socket.bufferedAmount > hub.tunables.maxBufferedBytes) {
    return hub.reject(connection, SignalingErrorCode.PEER_BUSY, 'the peer is not reading; signal dropped', frame.to)
  }
  hub.send(target, { type: 'signal', from: connection.id, data: frame.data })
  hub.counters.signalsRelayed++
}

/** Answers with up to `maxPeersPerReply` registered peers other than the asker (`introductions.ts`). */
function handlePeers(hub: Hub, connection: Connection, _frame: PeersRequestFrame): void {
  if (connection.id === undefined) {
    return hub.reject(connection, SignalingErrorCode.NOT_REGISTERED, 'register before asking for peers')
  }
  hub.send(connection, { type: 'peers', peers: hub.registry.sample(hub.tunables.maxPeersPerReply, connection.id) })
}
