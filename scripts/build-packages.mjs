// Builds every public package to dist/ (ESM JavaScript and .d.ts), in dependency order: each
// package's tsconfig.build.json resolves its dependencies to their built dist/.
// Usage: node scripts/build-packages.mjs
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The public packages, each after the ones it depends on. */
export const PUBLIC_PACKAGES = ['kademlia', 'identity', 'webrtc-transport', 'signaling-server', 'peer']

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

/** Builds them all, in order. */
export function buildPackages() {
  for (const name of PUBLIC_PACKAGES) {
    const dir = join(root, 'packages', name)
    rmSync(join(dir, 'dist'), { recursive: true, force: true })
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' })
    console.log(`built packages/${name}/dist`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildPackages()
