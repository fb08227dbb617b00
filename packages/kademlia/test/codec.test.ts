import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DhtError, ErrorCode } from '../src/errors.ts'
import { ID_BYTES } from '../src/keyspace/id.ts'
import { wireLimits } from '../src/node/options.ts'
import type { DecodeResult, WireLimits } from '../src/wire/codec.ts'
import { decodeMessage, encodeMessage, HEADER_BYTES } from '../src/wire/codec.ts'
import type { Message, TimedRecord } from '../src/wire/messages.ts'
import type { SignedRecord } from '../src/records/signed-record.ts'
import { decodeStoredSet, encodeStoredSet } from '../src/wire/record-codec.ts'
import { MAX_CONTACTS_PER_MESSAGE, RemoteError, WIRE_VERSION } from '../src/wire/messages.ts'

const LIMITS: WireLimits = { maxValueBytes: 256, maxMessageBytes: 4 * 1024 }
const RUNS = { numRuns: 300 }
const CODES = new Set<string>(Object.values(ErrorCode))

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const anyId = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES })
const anyValue = fc.uint8Array({ maxLength: LIMITS.maxValueBytes })
const anyCount = fc.integer({ min: 1, max: MAX_CONTACTS_PER_MESSAGE })
const bytesOf = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length })
const anySeq = fc.nat({ max: Number.MAX_SAFE_INTEGER })
const recordArb: fc.Arbitrary<SignedRecord> = fc.oneof(
  fc.record({ kind: fc.constant('named' as const), publicKey: bytesOf(32), seq: anySeq, tombstone: fc.boolean(), value: anyValue, signature: bytesOf(64) }),
  fc.record({ kind: fc.constant('mutable' as const), publicKey: bytesOf(32), salt: fc.uint8Array({ maxLength: 64 }), seq: anySeq, value: anyValue, signature: bytesOf(64) }),
  fc.record({ kind: fc.constant('immutable' as const), value: anyValue }),
)
const timedArb: fc.Arbitrary<TimedRecord> = fc.record({ record: recordArb, ttlMs: u32 })
const named = (value: Uint8Array, seq = 1): SignedRecord => ({ kind: 'named', publicKey: new Uint8Array(32).fill(1), seq, tombstone: false, value, signature: new Uint8Array(64).fill(2) })

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('PING' as const), rid: u32 }),
  fc.record({ type: fc.constant('PONG' as const), rid: u32 }),
  fc.record({ type: fc.constant('STORED' as const), rid: u32, nodes: fc.array(anyId, { maxLength: MAX_CONTACTS_PER_MESSAGE }) }),
  fc.record({ type: fc.constant('FIND_NODE' as const), rid: u32, target: anyId, count: anyCount }),
  fc.record({ type: fc.constant('FIND_VALUE' as const), rid: u32, key: anyId, count: anyCount }),
  fc.record({
    type: fc.constant('STORE' as const),
    rid: u32,
    key: anyId,
    record: recordArb,
    ttlMs: u32,
    mode: fc.constantFrom('publish' as const, 'replicate' as const, 'cache' as const),
    cas: fc.option(anySeq, { nil: undefined }),
  }).map(({ cas, ...store }) => (cas === undefined ? store : { ...store, cas })),
  fc.record({ type: fc.constant('NODES' as const), rid: u32, nodes: fc.array(anyId, { maxLength: MAX_CONTACTS_PER_MESSAGE }) }),
  fc.record({
    type: fc.constant('VALUE' as const),
    rid: u32,
    nodes: fc.array(anyId, { maxLength: 3 }),
    records: fc.array(timedArb, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('ERROR' as const), rid: u32, code: fc.integer({ min: 0, max: 255 }) }),
)

/** Checks the never-throws contract: ok with a message, or a DhtError with a known code. */
function expectWellFormedResult(result: DecodeResult): void {
  if (result.ok) {
    expect(typeof result.message.type).toBe('string')
    return
  }
  expect(result.error).toBeInstanceOf(DhtError)
  expect(CODES.has(result.error.code)).toBe(true)
  expect(Number.isInteger(result.remoteCode)).toBe(true)
}

function errorOf(bytes: Uint8Array, limits = LIMITS): Extract<DecodeResult, { ok: false }> {
  const result = decodeMessage(bytes, limits)
  if (result.ok) throw new Error(`expected a decode failure, got ${result.message.type}`)
  return result
}

describe('encodeMessage / decodeMessage round trip', () => {
  it('decodes every encoded message type back to an equal message', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const result = decodeMessage(encodeMessage(message), LIMITS)
        expect(result).toEqual({ ok: true, message })
      }),
      RUNS,
    )
  })

  it('round-trips a message of each type at least once', () => {
    const id = new Uint8Array(ID_BYTES).fill(7)
    const examples: Message[] = [
      { type: 'PING', rid: 0 },
      { type: 'PONG', rid: 0xffffffff },
      { type: 'STORED', rid: 1, nodes: [] },
      { type: 'STORED', rid: 1, nodes: [id, id] },
      { type: 'FIND_NODE', rid: 2, target: id, count: 20 },
      { type: 'FIND_VALUE', rid: 3, key: id, count: MAX_CONTACTS_PER_MESSAGE },
      { type: 'STORE', rid: 4, key: id, record: named(Uint8Array.of(1, 2, 3)), ttlMs: 1000, mode: 'cache' },
      { type: 'STORE', rid: 4, key: id, record: { kind: 'mutable', publicKey: new Uint8Array(32).fill(9), salt: Uint8Array.of(5), seq: 2 ** 53 - 1, value: Uint8Array.of(1), signature: new Uint8Array(64) }, ttlMs: 1, mode: 'publish', cas: 7 },
      { type: 'NODES', rid: 5, nodes: Array.from({ length: MAX_CONTACTS_PER_MESSAGE }, () => id) },
      { type: 'VALUE', rid: 6, nodes: [id], records: [{ record: { kind: 'immutable', value: new Uint8Array(LIMITS.maxValueBytes) }, ttlMs: 0 }] },
      { type: 'ERROR', rid: 7, code: RemoteError.BUSY },
    ]
    for (const message of examples) {
      const bytes = encodeMessage(message)
      expect(bytes[0]).toBe(WIRE_VERSION)
      expect(decodeMessage(bytes, { ...LIMITS, maxMessageBytes: 4096 })).toEqual({ ok: true, message })
    }
  })

  it('decodes a message that sits at an offset inside a larger buffer', () => {
    const message: Message = { type: 'VALUE', rid: 9, nodes: [], records: [{ record: named(Uint8Array.of(9, 8, 7)), ttlMs: 42 }] }
    const bytes = encodeMessage(message)
    const big = new Uint8Array(bytes.length + 10)
    big.set(bytes, 5)
    expect(decodeMessage(big.subarray(5, 5 + bytes.length), LIMITS)).toEqual({ ok: true, message })
  })

  it('copies values and ids out of the received buffer', () => {
    const bytes = encodeMessage({ type: 'VALUE', rid: 1, nodes: [], records: [{ record: named(Uint8Array.of(1, 2)), ttlMs: 5 }] })
    const result = decodeMessage(bytes, LIMITS)
    bytes.fill(0xee)
    expect(result.ok && result.message.type === 'VALUE' && [...result.message.records[0]!.record.value]).toEqual([1, 2])
  })

  it('copies values and ids out of a Node Buffer too, whose slice would be a view', () => {
    const key = Uint8Array.from({ length: ID_BYTES }, (_, i) => i)
    const bytes = Buffer.from(encodeMessage({ type: 'STORE', rid: 1, key, record: named(Uint8Array.of(1, 2)), ttlMs: 5, mode: 'publish' }))
    const result = decodeMessage(bytes, LIMITS)
    bytes.fill(0xee)
    if (!result.ok || result.message.type !== 'STORE' || result.message.record.kind !== 'named') throw new Error('expected a STORE of a named record')
    expect([...result.message.record.value]).toEqual([1, 2])
    expect([...result.message.key]).toEqual([...key])
    expect(result.message.record.value.buffer).not.toBe(bytes.buffer)
    expect(result.message.record.signature.buffer).not.toBe(bytes.buffer)
  })
})

describe('decodeMessage on untrusted bytes', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expectWellFormedResult(decodeMessage(bytes, LIMITS))
      }),
      RUNS,
    )
  })

  it('never throws on random bytes behind a valid header', () => {
    const header = fc.tuple(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x81, 0x82, 0x83, 0x84, 0xff), u32)
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), ([type, rid], body) => {
        const bytes = new Uint8Array(HEADER_BYTES + body.length)
        new DataView(bytes.buffer).setUint32(2, rid)
        bytes[0] = WIRE_VERSION
        bytes[1] = type
        bytes.set(body, HEADER_BYTES)
        expectWellFormedResult(decodeMessage(bytes, LIMITS))
      }),
      RUNS,
    )
  })

  it('never throws on valid messages with a byte flipped, truncated or extended', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
    )
    fc.assert(
      fc.property(messageArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (message, mutations) => {
        let bytes = encodeMessage(message)
        for (const m of mutations) {
          if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length]! ^= m.xor
          else if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1))
          else if (m.kind === 'extend') bytes = Uint8Array.from([...bytes, ...m.extra])
        }
        expectWellFormedResult(decodeMessage(bytes, LIMITS))
      }),
      RUNS,
    )
  })

  it('rejects every strict truncation of a valid message as malformed', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (message, cut) => {
        const bytes = encodeMessage(message)
        const length = cut % bytes.length
        expect(errorOf(bytes.slice(0, length)).error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
      }),
      RUNS,
    )
  })

  it('rejects trailing bytes after a valid message as malformed', () => {
    fc.assert(
      fc.property(messageArb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (message, extra) => {
        const bytes = encodeMessage(message)
        fc.pre(bytes.length + extra.length <= LIMITS.maxMessageBytes)
        const failure = errorOf(Uint8Array.from([...bytes, ...extra]))
        expect(failure.error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
        expect(failure.rid).toBe(message.rid)
        expect(failure.remoteCode).toBe(RemoteError.MALFORMED)
      }),
      RUNS,
    )
  })
})

describe('decodeMessage named errors', () => {
  it('reports an unknown type byte as ERR_UNKNOWN_MESSAGE_TYPE and recovers the rid', () => {
    const bytes = encodeMessage({ type: 'PING', rid: 0xdeadbeef })
    for (const type of [0x00, 0x05, 0x7f, 0x80, 0x85, 0xfe]) {
      bytes[1] = type
      const failure = errorOf(bytes)
      expect(failure.error.code).toBe(ErrorCode.UNKNOWN_MESSAGE_TYPE)
      expect(failure.rid).toBe(0xdeadbeef)
      expect(failure.isRequest).toBe(type < 0x80)
      expect(failure.remoteCode).toBe(RemoteError.UNKNOWN_TYPE)
    }
  })

  it('reports a wrong version byte as ERR_UNSUPPORTED_VERSION and recovers the rid', () => {
    fc.assert(
      fc.property(messageArb, fc.integer({ min: 0, max: 255 }), (message, version) => {
        fc.pre(version !== WIRE_VERSION)
        const bytes = encodeMessage(message)
        bytes[0] = version
        const failure = errorOf(bytes)
        expect(failure.error.code).toBe(ErrorCode.UNSUPPORTED_VERSION)
        expect(failure.rid).toBe(message.rid)
        expect(failure.remoteCode).toBe(RemoteError.UNSUPPORTED_VERSION)
      }),
      { numRuns: 100 },
    )
  })

  it('reports bytes over maxMessageBytes as ERR_MESSAGE_TOO_LARGE before parsing anything', () => {
    const limits: WireLimits = { maxValueBytes: 1000, maxMessageBytes: 50 }
    const immutable = (length: number): Message => ({ type: 'VALUE', rid: 1, nodes: [], records: [{ record: { kind: 'immutable', value: new Uint8Array(length) }, ttlMs: 1 }] })
    const bytes = encodeMessage(immutable(45))
    expect(bytes.length).toBeGreaterThan(50)
    const failure = errorOf(bytes, limits)
    expect(failure.error.code).toBe(ErrorCode.MESSAGE_TOO_LARGE)
    expect(failure.rid).toBeUndefined()
    expect(errorOf(new Uint8Array(51), limits).error.code).toBe(ErrorCode.MESSAGE_TOO_LARGE)
    // Header, contact count, record count, ttl, kind, value length: 17 bytes around the value.
    const fits = encodeMessage(immutable(50 - HEADER_BYTES - 1 - 1 - 4 - 1 - 4))
    expect(fits.length).toBe(50)
    expect(decodeMessage(fits, limits).ok).toBe(true)
  })

  it('reports a value over maxValueBytes as ERR_VALUE_TOO_LARGE in VALUE and STORE', () => {
    const limits: WireLimits = { maxValueBytes: 10, maxMessageBytes: 1000 }
    const key = new Uint8Array(ID_BYTES)
    const messages: Message[] = [
      { type: 'VALUE', rid: 3, nodes: [], records: [{ record: named(new Uint8Array(11)), ttlMs: 1 }] },
      { type: 'STORE', rid: 4, key, record: named(new Uint8Array(11)), ttlMs: 1, mode: 'publish' },
      { type: 'STORE', rid: 5, key, record: { kind: 'immutable', value: new Uint8Array(11) }, ttlMs: 1, mode: 'publish' },
    ]
    for (const message of messages) {
      const failure = errorOf(encodeMessage(message), limits)
      expect(failure.error.code).toBe(ErrorCode.VALUE_TOO_LARGE)
      expect(failure.rid).toBe(message.rid)
      expect(failure.remoteCode).toBe(RemoteError.VALUE_TOO_LARGE)
    }
    const atLimit: Message = { type: 'VALUE', rid: 5, nodes: [], records: [{ record: named(new Uint8Array(10)), ttlMs: 1 }] }
    expect(decodeMessage(encodeMessage(atLimit), limits).ok).toBe(true)
  })

  it('reports a claimed value length over the limit as ERR_VALUE_TOO_LARGE even when the bytes are missing', () => {
    const bytes = encodeMessage({ type: 'VALUE', rid: 8, nodes: [], records: [{ record: { kind: 'immutable', value: new Uint8Array(0) }, ttlMs: 1 }] })
    // Header, contact count, record count, ttl, kind: then the value length.
    new DataView(bytes.buffer).setUint32(HEADER_BYTES + 1 + 1 + 4 + 1, 0xffffffff)
    expect(errorOf(bytes).error.code).toBe(ErrorCode.VALUE_TOO_LARGE)
  })

  it('reports a seq of 2^53 or more, a salt over 64 bytes, unknown flags and an empty VALUE with their errors', () => {
    const key = new Uint8Array(ID_BYTES)
    const store = encodeMessage({ type: 'STORE', rid: 1, key, record: named(Uint8Array.of(1)), ttlMs: 1, mode: 'publish' })
    // Mode, ttl, key, cas flag, kind, public key: then the seq's high half.
    const seqAt = HEADER_BYTES + 1 + 4 + ID_BYTES + 1 + 1 + 32
    const tooBig = store.slice()
    new DataView(tooBig.buffer).setUint32(seqAt, 0x20_0000)
    expect(errorOf(tooBig).error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
    const flags = store.slice()
    flags[seqAt + 8] = 2
    expect(errorOf(flags).error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
    const mutable = encodeMessage({ type: 'STORE', rid: 2, key, record: { kind: 'mutable', publicKey: new Uint8Array(32), salt: new Uint8Array(64), seq: 1, value: Uint8Array.of(1), signature: new Uint8Array(64) }, ttlMs: 1, mode: 'publish' })
    mutable[seqAt + 8] = 65
    expect(errorOf(mutable).error.code).toBe(ErrorCode.SALT_TOO_BIG)
    expect(errorOf(mutable).remoteCode).toBe(RemoteError.SALT_TOO_BIG)
    const empty = encodeMessage({ type: 'VALUE', rid: 3, nodes: [], records: [] })
    expect(errorOf(empty).error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
  })

  it('reports a NODES count over MAX_CONTACTS_PER_MESSAGE as malformed', () => {
    const limits: WireLimits = { maxValueBytes: 10_000, maxMessageBytes: 10_000 }
    const nodes = Array.from({ length: MAX_CONTACTS_PER_MESSAGE + 1 }, () => new Uint8Array(ID_BYTES))
    const bytes = encodeMessage({ type: 'NODES', rid: 11, nodes })
    const failure = errorOf(bytes, limits)
    expect(failure.error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
    expect(failure.rid).toBe(11)
    expect(failure.isRequest).toBe(false)
  })

  it('accepts a NODES message with MAX_CONTACTS_PER_MESSAGE contacts under wireLimits for any maxValueBytes', () => {
    const nodes = Array.from({ length: MAX_CONTACTS_PER_MESSAGE }, () => new Uint8Array(ID_BYTES).fill(3))
    const bytes = encodeMessage({ type: 'NODES', rid: 13, nodes })
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4096 }), (maxValueBytes) => {
        expect(decodeMessage(bytes, wireLimits(maxValueBytes)).ok).toBe(true)
      }),
      { numRuns: 100 },
    )
  })

  it('reports an unknown STORE mode as malformed and marks it a request', () => {
    const bytes = encodeMessage({ type: 'STORE', rid: 12, key: new Uint8Array(ID_BYTES), record: named(Uint8Array.of(1)), ttlMs: 1, mode: 'publish' })
    bytes[HEADER_BYTES] = 3
    const failure = errorOf(bytes)
    expect(failure.error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
    expect(failure.isRequest).toBe(true)
  })

  it('reports input shorter than the header as malformed without a rid', () => {
    for (let n = 0; n < HEADER_BYTES; n++) {
      const failure = errorOf(new Uint8Array(n).fill(WIRE_VERSION))
      expect(failure.error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
      expect(failure.rid).toBeUndefined()
    }
  })

  it('reports something that is not a Uint8Array as malformed instead of throwing', () => {
    for (const junk of [null, undefined, 'bytes', [1, 2, 3, 4, 5, 6], new ArrayBuffer(8)]) {
      expect(errorOf(junk as unknown as Uint8Array).error.code).toBe(ErrorCode.MALFORMED_MESSAGE)
    }
  })
})

describe('stored sets (what a node reads back from its own storage)', () => {
  const entryArb = fc.record({ record: recordArb, expiresAt: fc.double({ min: 0, max: 1e15, noNaN: true }) })

  it('round-trips every set of records with their expiries', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 5 }), (entries) => {
        expect(decodeStoredSet(encodeStoredSet(entries), LIMITS.maxValueBytes)).toEqual(entries)
      }),
      RUNS,
    )
  })

  it('never throws on random or damaged bytes: a set is whole or undefined', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 100 }), (entries, at, byte, junk) => {
        const bytes = encodeStoredSet(entries)
        bytes[at % bytes.length] = byte
        for (const input of [bytes, bytes.subarray(0, at % bytes.length), junk]) {
          const decoded = decodeStoredSet(input, LIMITS.maxValueBytes)
          if (decoded !== undefined) for (const { record } of decoded) expect(record.value.length).toBeLessThanOrEqual(LIMITS.maxValueBytes)
        }
      }),
      RUNS,
    )
  })
})
