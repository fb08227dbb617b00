/**
 * One system's run of bench/compare.ts, in a process of its own (so process CPU and RSS are that
 * system's alone):
 *
 *   node --conditions=source --import tsx e2e/bench/compare-run.ts --system a|b --nodes N
 *     [--puts 100] [--gets 300] [--idle 20] [--signal ws://127.0.0.1:PORT/signal]
 *
 * a is bittorrent-dht (compare-bittorrent.ts), b this project's Node peers (compare-peers.ts,
 * which enter through --signal). Progress goes to stderr; the result (compare-work.ts's
 * `RunResult`) is the one line on stdout. Exits 1 if a datagram was aimed off 127.0.0.0/8.
 */
import { parseArgs } from 'node:util'
import { BittorrentSystem } from './compare-bittorrent.ts'
import { PeerSystem } from './compare-peers.ts'
import { runWork, type System } from './compare-work.ts'

const VALUE_BYTES = 100
/** Closing the nodes may take this long; then the process exits anyway. */
const CLOSE_TIMEOUT_MS = 30_000

const { values } = parseArgs({
  options: {
    system: { type: 'string' },
    nodes: { type: 'string' },
    puts: { type: 'string', default: '100' },
    gets: { type: 'string', default: '300' },
    idle: { type: 'string', default: '20' },
    signal: { type: 'string' },
  },
})

function fail(message: string): never {
  process.stderr.write(`compare-run: ${message}\n`)
  process.exit(2)
}

function systemOf(name: string | undefined): System {
  if (name === 'a') return new BittorrentSystem()
  if (name === 'b') return new PeerSystem(values.signal ?? fail('--system b needs --signal ws://127.0.0.1:PORT/signal'))
  return fail('--system must be a or b')
}

async function main(): Promise<void> {
  const system = systemOf(values.system)
  const nodes = Number(values.nodes)
  if (!Number.isInteger(nodes) || nodes < 2) fail('--nodes must be a whole number ≥ 2')
  let failed = true
  try {
    const result = await runWork(system, { nodes, puts: Number(values.puts), gets: Number(values.gets), idleS: Number(values.idle), valueBytes: VALUE_BYTES })
    process.stdout.write(`${JSON.stringify(result)}\n`)
    const offLoopback = result.detail.offLoopback
    failed = typeof offLoopback === 'number' && offLoopback > 0
    if (failed) process.stderr.write(`compare-run: ${String(offLoopback)} datagrams were aimed off 127.0.0.0/8 (dropped)\n`)
  } finally {
    // Also after a failure: the nodes stop and b's data directories go.
    setTimeout(() => process.exit(failed ? 1 : 0), CLOSE_TIMEOUT_MS).unref()
    await system.close()
  }
  process.exit(failed ? 1 : 0)
}

main().catch((error: unknown) => {
  process.stderr.write(`compare-run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
