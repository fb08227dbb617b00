/**
 * `@browser-dht/kademlia/noble`: ed25519 signatures checked and made synchronously in pure
 * JavaScript (@noble/curves), for Node, tests and tools. Apart from the main entry so that a page
 * that does not import it ships no curve arithmetic (the node's default check loads it on demand).
 */
export { ed25519Signer, verifyMutable, verifySignature } from './keyspace/ed25519-noble.ts'
