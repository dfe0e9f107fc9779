// Vite settings an app on @edgeward/runtime needs.
import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web run WASM threads; production servers must send it too.
const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './', // relative URLs: the built app works from any folder
  // The runtime's worker imports onnxruntime-web (wasmPaths: 'bundled') as a chunk of its own, which
  // onnxruntime-web's threads load again: that needs ES module workers (Vite's default is 'iife').
  worker: { format: 'es' },
  server: { headers: isolated },
  preview: { headers: isolated },
});
