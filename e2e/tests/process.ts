/**
 * Starts one of the repository's Node programs on 127.0.0.1 and waits until it prints the line
 * that says it listens. Shared by the e2e specs and the browser benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface Started {
  /** The match of `ready` in the program's output. */
  match: RegExpExecArray
  child: ChildProcess
  /** Stops the process (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>
}

/** Runs `node --conditions=source --import tsx <script> ...args` from the repository root until `ready` matches its output. */
export function startProgram(script: string, args: readonly string[], ready: RegExp): Promise<Started> {
  return startCommand(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], { cwd: REPO_ROOT, ready })
}

/** Runs `command ...args` in `cwd` (with `env`, default this process's) until `ready` matches its output (stdout and stderr). */
export function startCommand(command: string, args: readonly string[], options: { cwd: string; ready: RegExp; env?: NodeJS.ProcessEnv }): Promise<Started> {
  const { ready } = options
  const script = [command, ...args].join(' ')
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env === undefined ? {} : { env: options.env }) })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    let output = ''
    let found = false
    // Both pipes are read to the end, so the program never blocks on a full pipe.
    const onData = (chunk: Buffer): void => {
      if (found) return
      output += chunk.toString()
      const match = ready.exec(output)
      if (match === null) return
      found = true
      resolve({
        match,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await exited
        },
      })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready:\n${output}`)))
  })
}
