// Compiles Edgeward's WASM kernels (kernels/kernels.ts, AssemblyScript) to src/kernels/kernels.wasm, which is
// committed: the runtime and its npm package use it as it is. tools/build.mjs calls this;
// test/kernels/net.test.js checks that the committed file is what the source compiles to.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB = fileURLToPath(new URL('..', import.meta.url));
export const ASC = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
/** asc's arguments, the output's aside: no runtime or allocator (the JS side places every buffer), memory
 * imported (the JS side grows it), SIMD and relaxed SIMD. */
export const KERNELS_ASC_ARGS = ['kernels/kernels.ts', '-O3', '--noAssert', '--runtime', 'stub', '--importMemory',
  '--enable', 'simd', '--enable', 'relaxed-simd'];
export const KERNELS_WASM = path.join(WEB, 'src', 'kernels', 'kernels.wasm');

export function buildKernels(out = KERNELS_WASM) {
  const asc = spawnSync(process.execPath, [ASC, ...KERNELS_ASC_ARGS, '-o', out], { cwd: WEB, encoding: 'utf8' });
  if (asc.status !== 0) throw new Error(`asc failed on kernels/kernels.ts:\n${asc.stdout}${asc.stderr}`);
  return out;
}
