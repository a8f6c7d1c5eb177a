import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API (`hiregraph serve`, port 8000) serves the built app itself; `vite` in development
// proxies the API to it so the session cookie stays first-party.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 700 },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/auth': 'http://127.0.0.1:8000',
      '/files': 'http://127.0.0.1:8000',
    },
  },
});
