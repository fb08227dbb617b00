/**
 * Runs Node peers: `node --conditions=source --import tsx apps/node-peer/src/cli.ts [options]` (`--help` lists them).
 * With `--port`, it first serves a signaling endpoint there, and its peers enter through it as
 * well as through every `--signal` server, so tabs can enter the network through this process.
 * Logs one line per event; stops cleanly on SIGINT/SIGTERM (a second signal exits at once).
 */
import { startSignalingEndpoint, type SignalingEndpoint } from './endpoint.ts'
import { peerMetrics } from '@browser-dht/peer'
import { createLogger } from './log.ts'
import { HELP, parseArgs, peerDataDir } from './options.ts'
import { NodePeer } from './peer.ts'

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2))
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n\n${HELP}`)
    process.exit(2)
  }
  const { options } = parsed
  if (options.help) {
    process.stdout.write(HELP)
    return
  }
  const log = createLogger({ quiet: options.quiet })
  const peers: NodePeer[] = []
  let endpoint: SignalingEndpoint | undefined
  let stopping = false
  const stop = async (why: string): Promise<void> => {
    if (stopping) {
      log.warn('exit-now', { why })
      process.exit(1)
    }
    stopping = true
    log.info('stopping', { why, peers: peers.length })
    await Promise.allSettled(peers.map((peer) => peer.stop()))
    await endpoint?.close()
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  if (options.port !== undefined) {
    endpoint = await startSignalingEndpoint({
      host: options.host,
      port: options.port,
      log: options.quiet ? () => {} : undefined,
      metrics: () => peerMetrics(peers.map((running) => running.peer)),
    })
    log.info('endpoint', { url: endpoint.url, health: endpoint.healthUrl, metrics: endpoint.metricsUrl })
  }
  const signals = [...(endpoint === undefined ? [] : [endpoint.url]), ...options.signal]
  const peerLog = options.count > 1 ? createLogger({ quiet: true }) : log
  for (let i = 0; i < options.count && !stopping; i++) {
    peers.push(
      await NodePeer.start({
        dataDir: peerDataDir(options, i),
        signals,
        k: options.k,
        budget: options.budget,
        icePort: options.icePort === 0 ? 0 : options.icePort + i,
        loopback: options.loopback,
        ...(options.direct === false ? { direct: null } : options.direct.host === undefined ? {} : { direct: { host: options.direct.host } }),
        log: peerLog,
        sync: options.count === 1,
      }),
    )
  }
  log.info('ready', { peers: peers.length, endpoint: endpoint?.url, signals: signals.join(' '), first: peers[0]?.id })
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
