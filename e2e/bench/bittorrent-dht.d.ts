/** The part of bittorrent-dht 11 (no types of its own) that bench/compare-bittorrent.ts uses. */
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events'
  import type { Socket } from 'node:dgram'

  export interface DhtOptions {
    /** "host:port" strings; [] for none (the default is the public routers). */
    bootstrap?: string[] | false
    /** The UDP socket to use (passed on to k-rpc-socket). */
    socket?: Socket
    /** Bucket size, and nodes a lookup converges to. */
    k?: number
    /** Queries in flight at once, per node. */
    concurrency?: number
  }

  export interface GetResponse {
    v: Buffer
  }

  export default class DHT extends EventEmitter {
    constructor(options?: DhtOptions)
    /** Set once the first lookup of its own ID (the bootstrap) has ended. */
    readonly ready: boolean
    readonly nodes: { count(): number }
    /** Values stored on this node, by key in hex (an LRU). */
    readonly _values: { peek(keyHex: string): unknown }
    listen(port: number, address: string, onListening?: () => void): void
    address(): { address: string; port: number }
    /** A BEP 44 immutable put: the key is the SHA-1 of the value's bencoding; `stored` is how many nodes took it. */
    put(item: { v: Buffer }, callback: (error: Error | null, key: Buffer, stored: number) => void): Buffer
    get(key: Buffer, options: { cache?: boolean }, callback: (error: Error | null, response: GetResponse | null) => void): void
    destroy(callback?: () => void): void
  }
}
