import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contentTypeOf, resolveStaticPath } from '../../server/static-files.ts'

const root = resolve('/srv/app/dist')

describe('resolveStaticPath', () => {
  it('maps / to index.html and plain paths to files under the root', () => {
    expect(resolveStaticPath(root, '/')).toBe(join(root, 'index.html'))
    expect(resolveStaticPath(root, '/assets/index-abc.js?v=1')).toBe(join(root, 'assets', 'index-abc.js'))
    expect(resolveStaticPath(root, '/a%20b.txt')).toBe(join(root, 'a b.txt'))
  })

  it('refuses every way out of the root', () => {
    for (const path of ['/../package.json', '/%2e%2e/secret', '/assets/../../x', '/..%2f..%2fx', '/a%00.js', '/a\\..\\b', 'relative', '/%E0%A4%A']) {
      expect(resolveStaticPath(root, path)).toBeUndefined()
    }
  })
})

describe('contentTypeOf', () => {
  it('knows the types a Vite build produces', () => {
    expect(contentTypeOf('/x/index.html')).toBe('text/html; charset=utf-8')
    expect(contentTypeOf('/x/a.JS')).toBe('text/javascript; charset=utf-8')
    expect(contentTypeOf('/x/a.css')).toBe('text/css; charset=utf-8')
    expect(contentTypeOf('/x/a.svg')).toBe('image/svg+xml')
    expect(contentTypeOf('/x/unknown.bin')).toBe('application/octet-stream')
  })
})
