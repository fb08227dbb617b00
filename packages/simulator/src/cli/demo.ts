/**
 * npm start (for now): builds a small simulated network, stores a few names, reads them back from
 * other nodes, fails a quarter of the network and reads them again, and prints what happened.
 */
import { keyOf, shortHex } from '@browser-dht/kademlia'
import { Testnet } from '../testnet.ts'

const NODES = 500
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin']

async function main(): Promise<void> {
  const started = performance.now()
  const net = new Testnet({ seed: 42 })
  console.log(`Building a network of ${NODES} Kademlia nodes in memory (k=20, α=3)…`)
  await net.grow(NODES)
  const tables = net.nodes.map((node) => node.table.size).sort((a, b) => a - b)
  console.log(`  joined in ${((performance.now() - started) / 1000).toFixed(1)} s; routing table sizes ${tables[0]}–${tables.at(-1)} (median ${tables[tables.length >> 1]})\n`)

  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  for (const name of NAMES) {
    const publisher = net.pick()
    const { holders } = await net.run(publisher.put(keyOf(name), encoder.encode(`hello from ${name}`)))
    console.log(`put  ${name.padEnd(6)} key ${shortHex(keyOf(name))}… by node ${shortHex(publisher.id)} → stored on ${holders.length} nodes`)
  }
  console.log()
  const show = async (label: string): Promise<void> => {
    for (const name of NAMES) {
      const reader = net.pick()
      const { value, trace } = await net.run(reader.get(keyOf(name)))
      const text = value === undefined ? 'NOT FOUND' : `"${decoder.decode(value)}"`
      console.log(
        `${label} ${name.padEnd(6)} from node ${shortHex(reader.id)}: ${text.padEnd(20)} ` +
          `${trace.rounds} rounds, ${trace.messages} messages, ${trace.failures} timeouts, ${trace.durationMs} ms simulated`,
      )
    }
  }
  await show('get ')
  const victims = net.live().slice(0, NODES / 4)
  await Promise.all(victims.map((node) => net.fail(node)))
  console.log(`\n${victims.length} nodes (25 %) fail at once, without notice…\n`)
  await show('get ')
  console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s. Benchmarks: npm run bench:sim -- --help`)
  await net.stop()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
