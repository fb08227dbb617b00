/**
 * The one parser for command-line flags: `--name value`, `--name=value` and bare `--flag`.
 * Unknown flags and bad numbers are errors with a plain message, not silent defaults.
 */
export type FlagSpec = Record<string, { kind: 'int' | 'float' | 'bool'; min?: number; max?: number; help: string }>

export type ParsedFlags<S extends FlagSpec> = { [K in keyof S]?: S[K]['kind'] extends 'bool' ? boolean : number }

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): ParsedFlags<S> {
  const out: Record<string, number | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`)
    const [rawName, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    const negated = rawName.startsWith('no-') && spec[rawName.slice(3)]?.kind === 'bool'
    const name = negated ? rawName.slice(3) : rawName
    const flag = spec[name]
    if (flag === undefined) throw new UsageError(`unknown flag --${rawName}`)
    if (flag.kind === 'bool') {
      out[name] = !negated
      continue
    }
    const text = inline ?? argv[++i]
    const value = Number(text)
    if (text === undefined || text === '' || !Number.isFinite(value)) throw new UsageError(`--${name} needs a number`)
    if (flag.kind === 'int' && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number`)
    if ((flag.min !== undefined && value < flag.min) || (flag.max !== undefined && value > flag.max)) {
      throw new UsageError(`--${name} must be between ${flag.min ?? '-∞'} and ${flag.max ?? '∞'}`)
    }
    out[name] = value
  }
  return out as ParsedFlags<S>
}

export function usage(command: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([name, flag]) => `  --${name.padEnd(14)} ${flag.help}`)
  return `usage: ${command} [flags]\n${lines.join('\n')}`
}
