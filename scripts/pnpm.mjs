// Runs the pinned pnpm through npx, so a fresh machine needs only Node and npm
// (corepack cannot verify signatures against this registry). Usage: node scripts/pnpm.mjs <args>
import { spawnSync } from 'node:child_process'

const PNPM = 'pnpm@10.34.8'
const result = spawnSync('npx', ['--yes', PNPM, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(result.status ?? 1)
