/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Where `npm run dev` and `npm run preview` send /graphql (the Rust server).
const api = process.env.MARQUEE_API_URL ?? 'http://127.0.0.1:8080';

// Served by the Rust binary at /admin (admin-ui/dist embedded with rust-embed).
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // GraphiQL's editor is one large chunk, loaded by /graphiql only.
    chunkSizeWarningLimit: 2000,
    // The console, and GraphiQL (served at /graphiql) as a page of its own.
    rollupOptions: {
      input: { main: 'index.html', graphiql: 'graphiql.html' },
    },
  },
  server: {
    proxy: { '/graphql': { target: api, changeOrigin: true } },
  },
  preview: {
    proxy: { '/graphql': { target: api, changeOrigin: true } },
  },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'node',
    pool: 'threads',
    maxWorkers: 1,
  },
});
