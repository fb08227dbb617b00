/**
 * bench/compare.ts's system a: N bittorrent-dht nodes in this process, k = 20, concurrency 16,
 * each on its own UDP socket bound to 127.0.0.1 and bootstrapped from up to three earlier local
 * nodes (the first from none): never the public routers. Every datagram goes through a wrapper of
 * the socket's `send` that counts it (queries per node; datagrams and bytes over all nodes) and
 * drops, and counts, any to an address outside 127.0.0.0/8, so a mistake cannot leave the machine.
 * Puts are BEP 44 immutable items; gets skip the node's own store (`cache: false`).
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import DHT from 'bittorrent-dht'
import type { System } from './compare-work.ts'

const K = 20
const CONCURRENCY = 16
const BOOTSTRAP_FROM = 3

/** A KRPC query ends with its `y` key: the bencoded dictionary's keys are sorted (a, q, t, y). */
const QUERY_TAIL = Buffer.from('1:y1:qe')
const isLoopback = (host: unknown): boolean => typeof host === 'string' && /^127\.\d+\.\d+\.\d+$/.test(host)

export class BittorrentSystem implements System {
  readonly #dhts: DHT[] = []
  readonly #queries: number[] = []
  #packets = 0
  #bytes = 0
  #offLoopback = 0
  readonly #warnings: Record<string, number> = {}

  async start(nodes: number): Promise<void> {
    const addresses: string[] = []
    for (let i = 0; i < nodes; i++) {
      const bootstrap = [...addresses].sort(() => Math.random() - 0.5).slice(0, BOOTSTRAP_FROM)
      const dht = new DHT({ socket: this.#countedSocket(i), bootstrap, k: K, concurrency: CONCURRENCY })
      dht.on('error', (error: Error) => this.#warn('error', error))
      dht.on('warning', (error: Error) => this.#warn('warning', error))
      // Bound before its first query goes out (the bootstrap starts on the next tick).
      dht.listen(0, '127.0.0.1')
      await once(dht, 'listening')
      addresses.push(`127.0.0.1:${dht.address().port}`)
      this.#dhts.push(dht)
    }
  }

  joined(minContacts: number): number {
    return this.#dhts.filter((dht) => dht.ready && dht.nodes.count() >= minContacts).length
  }

  put(node: number, value: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#dhts[node]!.put({ v: Buffer.from(value) }, (error, key) => (error === null ? resolve(key) : reject(error)))
    })
  }

  get(node: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      this.#dhts[node]!.get(Buffer.from(key), { cache: false }, (error, response) => (error === null ? resolve(response?.v) : reject(error)))
    })
  }

  holds(node: number, key: Uint8Array): boolean {
    return this.#dhts[node]!._values.peek(Buffer.from(key).toString('hex')) !== undefined
  }

  requestsSent(node: number): number {
    return this.#queries[node]!
  }

  sent(): { packets: number; bytes: number } {
    return { packets: this.#packets, bytes: this.#bytes }
  }

  detail(): Record<string, unknown> {
    const contacts = this.#dhts.map((dht) => dht.nodes.count()).sort((a, b) => a - b)
    return { contactsMin: contacts[0], contactsMedian: contacts[Math.floor(contacts.length / 2)], offLoopback: this.#offLoopback, warnings: this.#warnings }
  }

  async close(): Promise<void> {
    await Promise.all(this.#dhts.map((dht) => new Promise<void>((resolve) => dht.destroy(() => resolve()))))
  }

  /** Node `i`'s UDP socket, its sends counted and held to 127.0.0.0/8. */
  #countedSocket(i: number): Socket {
    const socket = createSocket('udp4')
    this.#queries[i] = 0
    const send = socket.send
    // k-rpc-socket calls send(buffer, offset, length, port, address, callback); a send made while
    // the socket was still binding comes back once it is bound as send(list, port, address,
    // callback) (Node's dgram queue): let that through uncounted, as it was counted already.
    socket.send = ((...args: unknown[]): void => {
      const requeued = args.length === 4
      const address = requeued ? args[2] : args[4]
      const callback = args.at(-1) as ((error: Error | null) => void) | undefined
      if ((args.length !== 6 && !requeued) || !isLoopback(address)) {
        this.#offLoopback++
        if (typeof callback === 'function') callback(new Error(`bench: not sent to ${String(address)}`))
        return
      }
      if (!requeued) {
        const buffer = args[0] as Buffer
        this.#packets++
        this.#bytes += buffer.length
        if (buffer.subarray(-QUERY_TAIL.length).equals(QUERY_TAIL)) this.#queries[i]!++
      }
      ;(send as (...a: unknown[]) => void).apply(socket, args)
    }) as Socket['send']
    return socket
  }

  /** Counted by kind and code (or the message's start: it may name an address). */
  #warn(kind: string, error: Error & { code?: unknown }): void {
    const what = `${kind}: ${typeof error.code === 'string' ? error.code : error.message.slice(0, 40)}`
    this.#warnings[what] = (this.#warnings[what] ?? 0) + 1
  }
}
