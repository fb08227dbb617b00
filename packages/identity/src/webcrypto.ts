/**
 * The part of WebCrypto (`crypto.subtle`) the transport uses, typed here so that the packages
 * that compile without DOM or Node types (the signaling client's browser build) still check it.
 * Browsers and Node 20 both provide it as a global; `subtle()` is undefined where it is missing.
 */
export type WebCryptoKey = object

export interface WebCryptoKeyPair {
  publicKey: WebCryptoKey
  privateKey: WebCryptoKey
}

type Algorithm = { name: string; public?: WebCryptoKey }
type Bytes = Uint8Array<ArrayBuffer>

export interface SubtleLike {
  generateKey(algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<unknown>
  exportKey(format: 'raw' | 'pkcs8', key: WebCryptoKey): Promise<ArrayBuffer>
  importKey(format: 'raw' | 'pkcs8', data: Bytes, algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<WebCryptoKey>
  sign(algorithm: string, key: WebCryptoKey, data: Bytes): Promise<ArrayBuffer>
  verify(algorithm: string, key: WebCryptoKey, signature: Bytes, data: Bytes): Promise<boolean>
  deriveBits(algorithm: Algorithm, key: WebCryptoKey, length: number): Promise<ArrayBuffer>
}

/** The platform's `crypto.subtle`, or undefined. */
export function subtle(): SubtleLike | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle
}

/** A copy of `bytes` on a plain ArrayBuffer (what WebCrypto takes). */
export function buffer(bytes: Uint8Array): Bytes {
  return Uint8Array.from(bytes)
}
