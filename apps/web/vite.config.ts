import { defaultClientConditions, defineConfig } from 'vite'

// `vite build` writes dist/, which server.ts serves next to the signaling server. `vite` (dev)
// proxies /signal to a signaling server started separately on 127.0.0.1:8787. The workspace's
// packages are taken from their sources (the `source` export condition), so no build step.
export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    host: '127.0.0.1',
    proxy: { '/signal': { target: 'ws://127.0.0.1:8787', ws: true } },
  },
})
