import { defineConfig } from 'vite'

// `vite build` writes dist/, which server.ts serves next to the signaling server. `vite` (dev)
// proxies /signal to a signaling server started separately on 127.0.0.1:8787.
export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    host: '127.0.0.1',
    proxy: { '/signal': { target: 'ws://127.0.0.1:8787', ws: true } },
  },
})
