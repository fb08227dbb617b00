/**
 * The measurements of `bench:auth` (auth-costs.ts), written once for both places they run: Node
 * and a headless Chromium page (bundled there at run time). Only what both have: `crypto`
 * (getRandomValues, subtle) and `performance.now()`; no DOM, no Node built-ins.
 *
 * Two ways to authenticate a relayed DHT message end to end (origin → target through relays):
 *  (S) an Ed25519 signature per message (the frame carries the 32-byte public key, whose SHA-1 is
 *      the node ID), signed at the origin and verified at the target;
 *  (M) a MAC (HMAC-SHA256 truncated to 16 bytes) per message, under two directional keys both ends
 *      derive once per pair: static X25519 of their Ed25519 keys in Montgomery form, then HKDF.
 * Each primitive is measured with @noble (sync) and WebCrypto (`crypto.subtle`, async), as the
 * µs per operation of each of several batches of about `batchMs`; the caller takes the medians.
 * A node converts (or imports) its own secret key once, so that is not part of any operation;
 * a peer's public key is converted per pair, so it is.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { sign, verifySignature } from '@browser-dht/identity/noble'

export type Library = 'noble' | 'webcrypto'

/** The operations, by id (auth-costs.ts labels them). */
export type OpId =
  | 'keygen' // a puzzle try: a key pair from a random secret, its public key, SHA-1(SHA-1(public key))
  | 'keygenInFlight' // the same, `inFlight` at once (WebCrypto works off the calling thread)
  | 'puzzleHash' // SHA-1(SHA-1(public key)) alone
  | 'sign'
  | 'verify' // noble: strict (zip215: false) plus the small-order check; WebCrypto: an imported key
  | 'importVerify' // WebCrypto: import the raw public key, then verify (a key seen the first time)
  | 'smallOrderCheck' // noble: decode a public key and reject small order (WebCrypto does not: see checks)
  | 'pairKeys' // the peer's key to Montgomery form, X25519, HKDF-SHA256 to 2 directional keys
  | 'mac' // HMAC-SHA256 of the message, truncated to 16 bytes

export interface OpSamples {
  op: OpId
  lib: Library
  /** Message size, for the operations that depend on it. */
  bytes?: number
  /** µs per operation in each batch (for `keygenInFlight`: wall time per key with `inFlight` running). */
  batchesUs: number[]
}

export interface AuthBenchOptions {
  batches: number
  batchMs: number
  sizes: readonly number[]
  inFlight: number
}

export interface AuthChecks {
  /** A WebCrypto signature verifies with noble, and the reverse. */
  signaturesInterop: boolean
  /** Both libraries derive the same pair keys and the same MAC. */
  pairKeysAgree: boolean
  /**
   * Whether a signature forged for a small-order public key (the identity point, R = identity,
   * S = 0: valid for every message) verifies: WebCrypto as is, and the project's noble check.
   */
  smallOrderForgeryVerifies: { webcrypto: boolean; noble: boolean }
}

export interface AuthBenchResult {
  samples: OpSamples[]
  checks: AuthChecks
}

export const MAC_BYTES = 16
const HKDF_INFO = new TextEncoder().encode('browser-dht overlay auth v1')
// PKCS#8 wrappers of a 32-byte Ed25519 seed / X25519 secret (RFC 8410).
const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
const PKCS8_X25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]

const subtle = (): SubtleCrypto => globalThis.crypto.subtle
const bytes = (n: number): Uint8Array<ArrayBuffer> => globalThis.crypto.getRandomValues(new Uint8Array(n))
const pkcs8 = (prefix: readonly number[], key: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array([...prefix, ...key])
const copy = (data: Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> => new Uint8Array(data instanceof ArrayBuffer ? data : data.slice())
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Lexicographic order of two byte strings (which end sends with the first derived key). */
function before(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return a.length < b.length
}

/** The HKDF salt (both public keys, lower first) and which half of the output `mine` sends with. */
function pairSalt(mine: Uint8Array, theirs: Uint8Array): { salt: Uint8Array<ArrayBuffer>; sendFirst: boolean } {
  const sendFirst = before(mine, theirs)
  return { salt: new Uint8Array(sendFirst ? [...mine, ...theirs] : [...theirs, ...mine]), sendFirst }
}

export interface PairKeys<K> {
  send: K
  receive: K
}

/** (M) with noble: this end's pair keys, from its converted secret and the peer's Ed25519 public key. */
export function pairKeysNoble(myMontSecret: Uint8Array, myPublicKey: Uint8Array, peerPublicKey: Uint8Array): PairKeys<Uint8Array> {
  const shared = x25519.getSharedSecret(myMontSecret, ed25519.utils.toMontgomery(peerPublicKey))
  const { salt, sendFirst } = pairSalt(myPublicKey, peerPublicKey)
  const okm = hkdf(sha256, shared, salt, HKDF_INFO, 64)
  const [first, second] = [okm.subarray(0, 32), okm.subarray(32)]
  return sendFirst ? { send: first, receive: second } : { send: second, receive: first }
}

/** (M) with WebCrypto: the same keys as HMAC CryptoKeys (the peer's key is converted with noble: WebCrypto cannot). */
export async function pairKeysWebCrypto(myX25519: CryptoKey, myPublicKey: Uint8Array, peerPublicKey: Uint8Array, raw?: { okm?: Uint8Array }): Promise<PairKeys<CryptoKey>> {
  const s = subtle()
  const peer = await s.importKey('raw', copy(ed25519.utils.toMontgomery(peerPublicKey)), { name: 'X25519' }, false, [])
  const shared = await s.deriveBits({ name: 'X25519', public: peer }, myX25519, 256)
  const ikm = await s.importKey('raw', shared, 'HKDF', false, ['deriveBits'])
  const { salt, sendFirst } = pairSalt(myPublicKey, peerPublicKey)
  const okm = new Uint8Array(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: HKDF_INFO }, ikm, 512))
  if (raw !== undefined) raw.okm = okm
  const hmacKey = (k: Uint8Array<ArrayBuffer>): Promise<CryptoKey> => s.importKey('raw', k, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const [first, second] = await Promise.all([hmacKey(okm.slice(0, 32)), hmacKey(okm.slice(32))])
  return sendFirst ? { send: first, receive: second } : { send: second, receive: first }
}

export const macNoble = (key: Uint8Array, message: Uint8Array): Uint8Array => hmac(sha256, key, message).subarray(0, MAC_BYTES)
export const macWebCrypto = async (key: CryptoKey, message: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
  new Uint8Array(await subtle().sign('HMAC', key, message), 0, MAC_BYTES)

/** The puzzle's check of a public key: SHA-1 of its node ID (SHA-1 of the key). */
const puzzleHash = (publicKey: Uint8Array): Uint8Array => sha1(sha1(publicKey))

/** Where results go, so that no operation is optimized away. */
let sink = 0
const consume = (result: Uint8Array | ArrayBuffer | boolean | CryptoKey | PairKeys<unknown>): void => {
  sink = (sink + (result instanceof Uint8Array ? result[0]! : 1)) | 0
}

/** How long each operation runs before it is timed (JIT tiers, noble's lazy precomputed tables). */
const warmupMs = (options: AuthBenchOptions): number => Math.max(150, 2 * options.batchMs)

/** Batches of a sync operation: calibrated to about `batchMs` each after a warm-up. */
function timeSync(run: () => void, options: AuthBenchOptions): number[] {
  const warmupStart = performance.now()
  let calls = 0
  while (performance.now() - warmupStart < warmupMs(options)) {
    run()
    calls++
  }
  const perBatch = Math.max(1, Math.round((options.batchMs * calls) / (performance.now() - warmupStart)))
  const out: number[] = []
  for (let b = 0; b < options.batches; b++) {
    const start = performance.now()
    for (let i = 0; i < perBatch; i++) run()
    out.push(((performance.now() - start) * 1000) / perBatch)
  }
  return out
}

/** Batches of an async operation, `inFlight` started at once (1: each awaited before the next). */
async function timeAsync(run: () => Promise<void>, options: AuthBenchOptions, inFlight = 1): Promise<number[]> {
  const batch = async (n: number): Promise<number> => {
    let started = 0
    const start = performance.now()
    const worker = async (): Promise<void> => {
      while (started < n) {
        started++
        await run()
      }
    }
    await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker))
    return performance.now() - start
  }
  let calls = 0
  let elapsedMs = 0
  while (elapsedMs < warmupMs(options)) {
    elapsedMs += await batch(inFlight)
    calls += inFlight
  }
  const perBatch = Math.max(inFlight, Math.round((options.batchMs * calls) / elapsedMs))
  const out: number[] = []
  for (let b = 0; b < options.batches; b++) out.push(((await batch(perBatch)) * 1000) / perBatch)
  return out
}

interface Party {
  secretKey: Uint8Array
  publicKey: Uint8Array
  montSecret: Uint8Array
  signKey: CryptoKey
  verifyKey: CryptoKey
  x25519Key: CryptoKey
}

async function party(): Promise<Party> {
  const s = subtle()
  const secretKey = ed25519.utils.randomSecretKey()
  const publicKey = ed25519.getPublicKey(secretKey)
  const montSecret = ed25519.utils.toMontgomerySecret(secretKey)
  return {
    secretKey,
    publicKey,
    montSecret,
    signKey: await s.importKey('pkcs8', pkcs8(PKCS8_ED25519, secretKey), 'Ed25519', false, ['sign']),
    verifyKey: await s.importKey('raw', copy(publicKey), 'Ed25519', false, ['verify']),
    x25519Key: await s.importKey('pkcs8', pkcs8(PKCS8_X25519, montSecret), { name: 'X25519' }, false, ['deriveBits']),
  }
}

async function checks(a: Party, b: Party): Promise<AuthChecks> {
  const s = subtle()
  const message = bytes(100)
  const webSig = new Uint8Array(await s.sign('Ed25519', a.signKey, message))
  const nobleSig = copy(sign(a.secretKey, message))
  const signaturesInterop = verifySignature(webSig, message, a.publicKey) && (await s.verify('Ed25519', a.verifyKey, nobleSig, message))
  const raw: { okm?: Uint8Array } = {}
  const [nobleA, nobleB] = [pairKeysNoble(a.montSecret, a.publicKey, b.publicKey), pairKeysNoble(b.montSecret, b.publicKey, a.publicKey)]
  const webA = await pairKeysWebCrypto(a.x25519Key, a.publicKey, b.publicKey, raw)
  const pairKeysAgree =
    equal(nobleA.send, nobleB.receive) &&
    equal(nobleA.receive, nobleB.send) &&
    raw.okm !== undefined &&
    equal(raw.okm, new Uint8Array(before(a.publicKey, b.publicKey) ? [...nobleA.send, ...nobleA.receive] : [...nobleA.receive, ...nobleA.send])) &&
    equal(await macWebCrypto(webA.send, message), macNoble(nobleA.send, message))
  // The identity point: y = 1. R = identity, S = 0 satisfies [S]B = R + [k]A for every message.
  const smallOrderKey = new Uint8Array(32)
  smallOrderKey[0] = 1
  const forged = new Uint8Array(64)
  forged[0] = 1
  let webcrypto: boolean
  try {
    webcrypto = await s.verify('Ed25519', await s.importKey('raw', smallOrderKey, 'Ed25519', false, ['verify']), forged, message)
  } catch {
    webcrypto = false
  }
  return { signaturesInterop, pairKeysAgree, smallOrderForgeryVerifies: { webcrypto, noble: verifySignature(forged, message, smallOrderKey) } }
}

/** Every operation's batches, then the checks. `progress` hears each operation as it starts. */
export async function measureAuthCosts(options: AuthBenchOptions, progress: (what: string) => void = () => {}): Promise<AuthBenchResult> {
  const s = subtle()
  const [a, b] = [await party(), await party()]
  const samples: OpSamples[] = []
  const sync = (op: OpId, lib: Library, run: () => void, size?: number): void => {
    progress(`${op} ${lib}${size === undefined ? '' : ` ${size} B`}`)
    samples.push({ op, lib, ...(size === undefined ? {} : { bytes: size }), batchesUs: timeSync(run, options) })
  }
  const async = async (op: OpId, lib: Library, run: () => Promise<void>, size?: number, inFlight = 1): Promise<void> => {
    progress(`${op} ${lib}${size === undefined ? '' : ` ${size} B`}${inFlight > 1 ? ` ×${inFlight}` : ''}`)
    samples.push({ op, lib, ...(size === undefined ? {} : { bytes: size }), batchesUs: await timeAsync(run, options, inFlight) })
  }

  const webKeygen = async (): Promise<void> => {
    const pair = (await s.generateKey('Ed25519', true, ['sign', 'verify'])) as CryptoKeyPair
    consume(puzzleHash(new Uint8Array(await s.exportKey('raw', pair.publicKey))))
  }
  sync('keygen', 'noble', () => consume(puzzleHash(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))))
  await async('keygen', 'webcrypto', webKeygen)
  await async('keygenInFlight', 'webcrypto', webKeygen, undefined, options.inFlight)
  sync('puzzleHash', 'noble', () => consume(puzzleHash(a.publicKey)))

  for (const size of options.sizes) {
    const message = bytes(size)
    const signature = copy(sign(a.secretKey, message))
    sync('sign', 'noble', () => consume(sign(a.secretKey, message)), size)
    await async('sign', 'webcrypto', async () => consume(await s.sign('Ed25519', a.signKey, message)), size)
    sync('verify', 'noble', () => consume(verifySignature(signature, message, a.publicKey)), size)
    await async('verify', 'webcrypto', async () => consume(await s.verify('Ed25519', a.verifyKey, signature, message)), size)
    const rawKey = copy(a.publicKey)
    await async('importVerify', 'webcrypto', async () => consume(await s.verify('Ed25519', await s.importKey('raw', rawKey, 'Ed25519', false, ['verify']), signature, message)), size)
  }

  sync('smallOrderCheck', 'noble', () => consume(ed25519.Point.fromBytes(a.publicKey, false).isSmallOrder()))
  sync('pairKeys', 'noble', () => consume(pairKeysNoble(b.montSecret, b.publicKey, a.publicKey)))
  await async('pairKeys', 'webcrypto', async () => consume(await pairKeysWebCrypto(b.x25519Key, b.publicKey, a.publicKey)))
  const nobleKeys = pairKeysNoble(a.montSecret, a.publicKey, b.publicKey)
  const webKeys = await pairKeysWebCrypto(a.x25519Key, a.publicKey, b.publicKey)
  for (const size of options.sizes) {
    const message = bytes(size)
    sync('mac', 'noble', () => consume(macNoble(nobleKeys.send, message)), size)
    await async('mac', 'webcrypto', async () => consume(await macWebCrypto(webKeys.send, message)), size)
  }
  progress('checks')
  return { samples, checks: await checks(a, b) }
}

/**
 * Seconds an honest node spends on the ID puzzle at `keysPerSecond`: the number of tries until
 * SHA-1(ID) has `bits` leading zero bits is geometric with p = 2^-bits. Its mean is 2^bits tries;
 * the `quantile` (0–1) is the least k with 1 - (1 - p)^k ≥ quantile, about ln(1/(1 - q))·2^bits
 * (p95 ≈ ln(20)·mean ≈ 3.0·mean).
 */
export function puzzleSeconds(bits: number, keysPerSecond: number, quantile?: number): number {
  if (quantile === undefined) return 2 ** bits / keysPerSecond
  const p = 2 ** -bits
  if (p === 1) return 1 / keysPerSecond
  return Math.ceil(Math.log1p(-quantile) / Math.log1p(-p)) / keysPerSecond
}
