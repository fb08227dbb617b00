/**
 * The bench:records scenario: what signed records cost, and what readers get when a fraction of
 * the nodes answer gets with a stale or a forged record.
 *
 * Crypto: the median cost of signing a named record and of checking a record of each kind with
 * @noble/curves (the core's default; a tab uses WebCrypto through the transport's suite), over
 * `samples` records, after as many to warm up.
 *
 * Network: every node joins through a random earlier node. Honest nodes put `values` named
 * values and then each publisher updates its value once (so every key has an old and a new
 * version). Then a fraction of the nodes turn bad: whenever one is asked FIND_VALUE for a key, its
 * transport answers with the old version (stale; half of them) or with the new version's value
 * altered under a higher seq (forged; the other half), with closer nodes as usual, so lookups go
 * on. Random honest nodes then get every value, for each setting measured: `getSuccess` is the
 * share of gets that found a value, `newestRate` the share that found the new one.
 */
import { checkRecord, DEFAULTS, immutableKey, immutableRecord, keyOf, type Message, mutableKey, type NamedRecord, signMutable, signNamed, type Signer, type SignedRecord, toHex, type Transport, type Verify } from '@browser-dht/kademlia'
import { ed25519Signer, verifySignature } from '@browser-dht/kademlia/noble'
import { round } from '../stats.ts'
import { Testnet } from '../testnet.ts'
import { answering } from './adversary.ts'

export interface RecordsBenchOptions {
  nodes: number
  /** Fraction of all nodes that answer gets with stale or forged records. */
  bad: number
  values: number
  /** Crypto samples per figure. */
  samples: number
  seed: number
  concurrency: number
  log: (line: string) => void
}

export interface CryptoFigures {
  /** Medians in µs, @noble/curves (the core's default). */
  signNamedUs: number
  checkNamedUs: number
  checkMutableUs: number
  checkImmutableUs: number
  /** The same with Node's WebCrypto Ed25519 (what the WebRTC transport's suite uses), key imported once. */
  webCryptoSignNamedUs: number
  webCryptoCheckNamedUs: number
}

export interface ReadFigures {
  paths: number
  quorum: number
  getSuccess: number
  newestRate: number
  /** Mean records dropped per get as forged. */
  invalidPerGet: number
  messagesPerGet: number
}

export interface RecordsBenchResult {
  nodes: number
  bad: number
  badNodes: number
  values: number
  k: number
  buildSeconds: number
  crypto: CryptoFigures
  reads: ReadFigures[]
}

/** How a bad node answers FIND_VALUE for a key it has a version of. */
interface Liar {
  mode: 'stale' | 'forged' | undefined
}

export async function measureCrypto(samples: number): Promise<CryptoFigures> {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
  const signer = ed25519Signer(seed)
  const check = { verify: verifySignature, maxValueBytes: DEFAULTS.maxValueBytes, puzzleBits: 0 }
  const value = new Uint8Array(100).fill(7)
  const time = async (run: (i: number) => Promise<unknown>): Promise<number> => {
    const us: number[] = []
    for (let i = 0; i < 2 * samples; i++) {
      const started = performance.now()
      await run(i)
      if (i >= samples) us.push((performance.now() - started) * 1000)
    }
    us.sort((a, b) => a - b)
    return round(us[us.length >> 1]!, 1)
  }
  const key = keyOf('bench')
  const named = await signNamed(signer, key, 1, value)
  const salt = new Uint8Array(8).fill(1)
  const mutable = await signMutable(signer, { salt, seq: 1, value })
  const immutable = immutableRecord(value)
  const web = await webCrypto(seed, signer.publicKey)
  const webCheck = { ...check, verify: web.verify }
  return {
    signNamedUs: await time((i) => signNamed(signer, key, i + 2, value)),
    checkNamedUs: await time(() => checkRecord(key, named, check)),
    checkMutableUs: await time(() => checkRecord(mutableKey(signer.publicKey, salt), mutable, check)),
    checkImmutableUs: await time(() => checkRecord(immutableKey(value), immutable, check)),
    webCryptoSignNamedUs: await time((i) => signNamed(web.signer, key, i + 2, value)),
    webCryptoCheckNamedUs: await time(() => checkRecord(key, named, webCheck)),
  }
}

/** A Signer and Verify on the platform's WebCrypto Ed25519, each key imported once (a bench key: the transport's suite also rejects small-order keys first). */
async function webCrypto(seed: Uint8Array, publicKey: Uint8Array): Promise<{ signer: Signer; verify: Verify }> {
  const subtle = globalThis.crypto.subtle
  // PKCS #8 of an Ed25519 key: a fixed 16-byte prefix, then the 32-byte seed.
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed])
  const secret = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
  const imported = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify'])
  return {
    signer: { publicKey, sign: async (message) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, secret, message)) },
    verify: (signature, message) => subtle.verify({ name: 'Ed25519' }, imported, signature, message),
  }
}

export async function runRecordsBench(options: RecordsBenchOptions): Promise<RecordsBenchResult> {
  const { log } = options
  const crypto = await measureCrypto(options.samples)
  log(`crypto: sign ${crypto.signNamedUs} µs, check named ${crypto.checkNamedUs} µs, mutable ${crypto.checkMutableUs} µs, immutable ${crypto.checkImmutableUs} µs`)

  const liars = new Map<string, Liar>()
  const versions = new Map<string, { old: NamedRecord; current: NamedRecord }>()
  const net = new Testnet({
    seed: options.seed,
    joinConcurrency: options.concurrency,
    joinRefresh: false,
    transport: (base, id) => {
      const liar: Liar = { mode: undefined }
      liars.set(toHex(id), liar)
      return lying(base, liar, versions)
    },
  })
  const started = performance.now()
  await net.grow(options.nodes, (joined) => {
    if (joined % 2000 === 0) log(`joined ${joined}`)
  })
  const buildSeconds = round((performance.now() - started) / 1000, 1)
  log(`built ${options.nodes} nodes in ${buildSeconds} s`)

  // Every value twice: an old version, then the current one, each put by the same publisher.
  const keys = Array.from({ length: options.values }, (_, i) => keyOf(`bench:records/${options.seed}/${i}`))
  await inBatches(net, keys, options.concurrency, async (key, i) => {
    const publisher = net.pick()
    const old = (await publisher.put(key, new TextEncoder().encode(`old ${i}`))).record as NamedRecord
    const current = (await publisher.put(key, new TextEncoder().encode(`new ${i}`))).record as NamedRecord
    versions.set(toHex(key), { old, current })
  })
  log(`put ${keys.length} values, each in two versions`)

  // Turn a fraction of the nodes bad: half answer stale, half forged.
  const all = net.live()
  const badCount = Math.round(options.bad * all.length)
  const shuffled = [...all].sort(() => net.random.float() - 0.5)
  shuffled.slice(0, badCount).forEach((node, i) => (liars.get(toHex(node.id))!.mode = i % 2 === 0 ? 'stale' : 'forged'))
  const honest = shuffled.slice(badCount)

  const reads: ReadFigures[] = []
  for (const { paths, quorum } of [
    { paths: 1, quorum: 1 },
    { paths: 1, quorum: DEFAULTS.getQuorum },
    { paths: DEFAULTS.disjointPaths, quorum: DEFAULTS.getQuorum },
    { paths: DEFAULTS.disjointPaths, quorum: 2 * DEFAULTS.getQuorum },
  ]) {
    let found = 0
    let newest = 0
    let invalid = 0
    let messages = 0
    await inBatches(net, keys, options.concurrency, async (key) => {
      const result = await pick(net, honest).get(key, { paths, quorum })
      if (result.value !== undefined) found++
      if (result.value !== undefined && new TextDecoder().decode(result.value).startsWith('new')) newest++
      invalid += result.trace.invalidRecords
      messages += result.trace.messages
    })
    const n = keys.length
    reads.push({ paths, quorum, getSuccess: round(found / n, 4), newestRate: round(newest / n, 4), invalidPerGet: round(invalid / n, 2), messagesPerGet: round(messages / n, 1) })
    log(`d = ${paths}, quorum ${quorum}: found ${found}/${n}, newest ${newest}/${n}`)
  }
  return { nodes: options.nodes, bad: options.bad, badNodes: badCount, values: keys.length, k: DEFAULTS.k, buildSeconds, crypto, reads }
}

/** `base`, except that while `liar.mode` is set, FIND_VALUE for a known key is answered with a stale or forged version. */
function lying(base: Transport, liar: Liar, versions: ReadonlyMap<string, { old: NamedRecord; current: NamedRecord }>): Transport {
  return answering(base, (message): Message | undefined => {
    const version = message.type === 'FIND_VALUE' && liar.mode !== undefined ? versions.get(toHex(message.key)) : undefined
    if (version === undefined) return undefined
    const record: SignedRecord = liar.mode === 'stale' ? version.old : { ...version.current, seq: version.current.seq + 1, value: new TextEncoder().encode('forged') }
    return { type: 'VALUE', rid: message.rid, nodes: [], records: [{ record, ttlMs: 60_000 }] }
  })
}

function pick<T>(net: Testnet, items: readonly T[]): T {
  return items[Math.floor(net.random.float() * items.length)]!
}

/** Runs `task` for every item, `concurrency` at once, on the network's virtual clock. */
async function inBatches<T>(net: Testnet, items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += concurrency) {
    await net.run(Promise.all(items.slice(i, i + concurrency).map((item, j) => task(item, i + j).catch(() => undefined))))
  }
}
