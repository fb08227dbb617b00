// Builds every public package (scripts/build-packages.mjs) and packs each into packs/ as an npm
// tarball: dist/ only, dependencies on each other pinned to their versions (pnpm pack rewrites
// workspace:*), exports without the source condition (publishConfig). Usage: npm run pack
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildPackages, PUBLIC_PACKAGES } from './build-packages.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
buildPackages()
const packs = join(root, 'packs')
rmSync(packs, { recursive: true, force: true })
mkdirSync(packs)
for (const name of PUBLIC_PACKAGES) {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'pnpm.mjs'), 'pack', '--pack-destination', packs], { cwd: join(root, 'packages', name), stdio: ['ignore', 'ignore', 'inherit'] })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
for (const file of readdirSync(packs).sort()) console.log(join('packs', file))
