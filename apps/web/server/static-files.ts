/**
 * Serves the built app (dist/) over Node's http: content types, caching, and no way out of the
 * root directory (no `..`, no encoded separators, no NUL, no symlink escape).
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
}

/**
 * The file path a URL path names under `root`, or `undefined` if it is not a plain path inside
 * it. `/` is `index.html`. Pure (no file system access), so it is unit-tested.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!)
  } catch {
    return undefined
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined
  const segments = decoded.split('/').filter((segment) => segment !== '')
  if (segments.some((segment) => segment === '..' || segment === '.')) return undefined
  const path = resolve(root, ...segments, decoded.endsWith('/') ? 'index.html' : '')
  const base = resolve(root)
  return path === base || path.startsWith(base + sep) ? (path === base ? join(base, 'index.html') : path) : undefined
}

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/** Answers GET/HEAD for a file under `root`; 404 when there is none, 405 for other methods. */
export async function serveStatic(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
    response.end('method not allowed\n')
    return
  }
  const path = resolveStaticPath(root, request.url ?? '/')
  const file = path === undefined ? undefined : await regularFileInside(root, path)
  if (file === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    response.end('not found\n')
    return
  }
  const hashed = file.path.includes(`${sep}assets${sep}`)
  response.writeHead(200, {
    'content-type': contentTypeOf(file.path),
    'content-length': file.size,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  })
  if (request.method === 'HEAD') return void response.end()
  createReadStream(file.path)
    .on('error', () => response.destroy())
    .pipe(response)
}

async function regularFileInside(root: string, path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const [real, realRoot] = await Promise.all([realpath(path), realpath(root)])
    if (!real.startsWith(realRoot + sep)) return undefined
    const info = await stat(real)
    return info.isFile() ? { path: real, size: info.size } : undefined
  } catch {
    return undefined
  }
}
