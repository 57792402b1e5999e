import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ui, which `flowlens serve` serves at / (src/api/ui-static.ts). No CDN: everything is bundled.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
