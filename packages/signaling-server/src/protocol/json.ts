/**
 * Small checks the frame parsers share: plain objects, own fields, lowercase hex, UTF-8 length,
 * and the walk that proves a signal's `data` is a bounded JSON object.
 */
import { SignalingErrorCode } from './error-codes.ts'

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject
export interface JsonObject {
  readonly [key: string]: JsonValue
}

/** A non-null, non-array object (what JSON.parse makes of `{…}`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An own property only: a missing field never reads through to Object.prototype. */
export function field(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined
}

/** The first key of `record` not in `allowed`, or undefined. */
export function extraKey(record: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) return key
  }
  return undefined
}

const HEX = /^[0-9a-f]*$/

/** True for a string of exactly `bytes * 2` lowercase hex digits. */
export function isHex(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length === bytes * 2 && HEX.test(value)
}

/** UTF-8 byte length of a JS string (lone surrogates count 3, as TextEncoder encodes them). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

export interface JsonLimits {
  readonly maxBytes: number
  readonly maxDepth: number
}

export type JsonObjectCheck =
  | { readonly ok: true; readonly value: JsonObject }
  | { readonly ok: false; readonly code: SignalingErrorCode; readonly message: string }

/**
 * Proves that `value` is a JSON object nested at most `maxDepth` deep (the object itself is 1)
 * whose JSON is at most `maxBytes` UTF-8 bytes. Walks iteratively, so no input can overflow the
 * stack; stops at the first violation.
 */
export function checkJsonObject(value: unknown, limits: JsonLimits): JsonObjectCheck {
  let violation: JsonObjectCheck = fail(SignalingErrorCode.INVALID_FIELD, 'data must be a JSON object')
  const report = (found: JsonObjectCheck): void => {
    violation = found
  }
  return isBoundedJsonObject(value, limits, report) ? { ok: true, value } : violation
}

/** The type guard behind `checkJsonObject`; hands the first violation to `report`. */
function isBoundedJsonObject(value: unknown, limits: JsonLimits, report: (violation: JsonObjectCheck) => void): value is JsonObject {
  if (!isRecord(value)) return false
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }]
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!
    if (isJsonLeaf(node)) continue
    const children = childrenOf(node)
    if (children === undefined) {
      report(fail(SignalingErrorCode.INVALID_FIELD, 'data must be plain JSON'))
      return false
    }
    if (depth > limits.maxDepth) {
      report(fail(SignalingErrorCode.SIGNAL_TOO_DEEP, `data nests deeper than ${limits.maxDepth}`))
      return false
    }
    for (const child of children) stack.push({ node: child, depth: depth + 1 })
  }
  if (utf8Length(JSON.stringify(value)) > limits.maxBytes) {
    report(fail(SignalingErrorCode.SIGNAL_TOO_LARGE, `data is larger than ${limits.maxBytes} bytes`))
    return false
  }
  return true
}

function isJsonLeaf(node: unknown): boolean {
  return node === null || typeof node === 'string' || typeof node === 'boolean' || (typeof node === 'number' && Number.isFinite(node))
}

function childrenOf(node: unknown): readonly unknown[] | undefined {
  if (Array.isArray(node)) return node
  if (isRecord(node) && Object.getPrototypeOf(node) === Object.prototype) return Object.values(node)
  return undefined
}

function fail(code: SignalingErrorCode, message: string): JsonObjectCheck {
  return { ok: false, code, message }
}
