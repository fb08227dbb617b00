// Makes sure Debian's Chromium is installed for the browser tests (Playwright cannot download
// its own browsers here). Installs it with apt-get when missing and we are root; otherwise says
// what to do. Usage: node scripts/ensure-chromium.mjs
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (existsSync(path)) process.exit(0)

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot || run('apt-get', ['--version']).status !== 0) {
  console.error(`Chromium is not at ${path}. Install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM_PATH.`)
  process.exit(1)
}
console.log('Installing Debian chromium for the browser tests…')
if (run('apt-get', ['update', '-qq']).status !== 0 || run('apt-get', ['install', '-y', '-qq', 'chromium']).status !== 0) {
  console.error('apt-get could not install chromium.')
  process.exit(1)
}
process.exit(existsSync(path) ? 0 : 1)
