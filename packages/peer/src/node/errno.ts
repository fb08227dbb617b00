/** Reading Node's system errors without casting them blindly. */

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, …), or undefined. */
export function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
