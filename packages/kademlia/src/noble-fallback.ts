/**
 * Every pure-JavaScript fallback of the DHT's crypto, in one module that the packages import
 * only where the platform lacks the native one: @noble/curves' ed25519 and x25519 where WebCrypto
 * has no Ed25519 or X25519 (keyspace/ed25519.ts's `lazyVerify`, the identity's key search and
 * signing, the transport's noble suite), @noble/hashes' HMAC-SHA256 where WebAssembly cannot be
 * compiled (the transport's relay MAC). One module makes one chunk in a page's bundle with nothing
 * shared: a browser that needs any fallback fetches that one file, and a page's own code carries
 * no list of the fallbacks' chunks to preload. Exported as `@browser-dht/kademlia/noble-fallback`;
 * import it dynamically (a static import puts all of it into the page).
 */
export { ed25519, x25519 } from '@noble/curves/ed25519.js'
export { hmac } from '@noble/hashes/hmac.js'
export { sha256 } from '@noble/hashes/sha2.js'
