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
  exportKey(format: 'jwk', key: WebCryptoKey): Promise<{ x?: string }>
  importKey(format: 'raw' | 'pkcs8', data: Bytes, algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<WebCryptoKey>
  sign(algorithm: string, key: WebCryptoKey, data: Bytes): Promise<ArrayBuffer>
  digest(algorithm: string, data: Bytes): Promise<ArrayBuffer>
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

/** PKCS #8 wrapping of a 32-byte private key: RFC 8410's prefix for Ed25519 (0x70) or X25519 (0x6e). */
export function pkcs8(curve: 0x70 | 0x6e, key: Uint8Array): Bytes {
  return Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, curve, 0x04, 0x22, 0x04, 0x20, ...key)
}

/** The bytes of base64url text (a JWK's fields). */
export function fromBase64Url(text: string): Uint8Array {
  const { atob } = globalThis as unknown as { atob(text: string): string }
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0))
}
