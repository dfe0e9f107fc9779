// Bundles what the demo pages load into web/dist/, for `edgeward serve` (src/edgeward/server/bundles.py):
// each app's page module (apps/NAME/app.js) and each app's own worker (apps/NAME/worker.js), one file each,
// plus chunks for what a worker imports on first use (training). The runtime's modules stay as they are
// (its worker included: other pages, the tests' harness and unbundled apps load it; its errors' stacks
// name their modules).
// Unbundled, a page fetches ~40 modules and its worker ~20, level by level (each import is seen only once
// its importer arrived), every one through the service worker: most of the time before the first pose.
//
//   node tools/build.mjs        (in web/; scripts/setup.sh runs it)
//
// web/dist/build.json lists each bundle's URL, its files and the sha256 of every source it was made from:
// the server answers a URL with its bundle only while all of those are unchanged, else with the sources as
// they are, so an edit is never shadowed by a stale build (rebuild to get the speed back). The sources stay
// the runtime (the npm package ships them; an app's own bundler bundles them its way).
//
// Each module keeps its own URL as import.meta.url (new URL('./manifest.schema.json', import.meta.url) still
// names the runtime's file), onnxruntime-web stays loaded by URL at run time, and comments are dropped (the
// service worker follows import statements to find what to keep offline; a JSDoc import() is none).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { buildKernels } from './kernels.mjs';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(WEB, 'dist');
const FOLDERS = { src: '/runtime/', apps: '/apps/' }; // web/<folder>/… is served at <url>…

// rolldown is Vite's bundler (Vite is a dev dependency): taken from where Vite finds it
const vite = createRequire(fileURLToPath(import.meta.resolve('vite')));
const { rolldown } = await import(pathToFileURL(vite.resolve('rolldown')).href);

/** The URL path `file` (absolute, under web/) is served at, or null. */
function servedUrl(file) {
  const rel = path.relative(WEB, file).split(path.sep).join('/');
  const [folder, ...rest] = rel.split('/');
  return FOLDERS[folder] && rest.length ? FOLDERS[folder] + rest.join('/') : null;
}

/** What the server bundles: [file under web/, its URL]. */
function entries() {
  const found = [];
  for (const app of fs.readdirSync(path.join(WEB, 'apps')).sort()) {
    for (const name of ['app.js', 'worker.js']) {
      const file = path.join(WEB, 'apps', app, name);
      if (fs.existsSync(file)) found.push(file);
    }
  }
  return found.map((file) => [file, servedUrl(file)]);
}

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Resolves the pages' absolute imports ('/runtime/…', '/apps/…') and gives every module its own import.meta.url. */
const servedModules = {
  name: 'edgeward-served-modules',
  resolveId(source) {
    for (const [folder, url] of Object.entries(FOLDERS)) {
      if (source.startsWith(url)) return path.join(WEB, folder, ...source.slice(url.length).split('/'));
    }
    return null;
  },
  transform(code, id) {
    const url = servedUrl(id);
    if (!url || !code.includes('import.meta.url')) return null;
    return { code: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(url)}, self.location.href).href`), map: null };
  },
};

async function bundle(file, url, out) {
  const bundler = await rolldown({
    input: file,
    plugins: [servedModules],
    external: [/^onnxruntime-web(\/|$)/], // wasmPaths 'bundled' only: an app's own bundler resolves it
    logLevel: 'warn',
  });
  try {
    const dir = path.join(out, path.dirname(url));
    const { output } = await bundler.write({
      dir, format: 'es', entryFileNames: path.basename(url), chunkFileNames: 'chunks/[name]-[hash].js', comments: false,
    });
    const inputs = {};
    for (const chunk of output) {
      for (const id of chunk.moduleIds ?? []) {
        if (path.isAbsolute(id) && fs.existsSync(id)) inputs[path.relative(WEB, id).split(path.sep).join('/')] = sha256(id);
      }
    }
    const files = output.map((o) => path.relative(out, path.join(dir, o.fileName)).split(path.sep).join('/'));
    return { url, files, inputs: Object.fromEntries(Object.entries(inputs).sort()) };
  } finally {
    await bundler.close();
  }
}

buildKernels(); // src/kernels/kernels.wasm, from kernels/kernels.ts (committed; the runtime's own file)
const staging = `${DIST}.tmp-${process.pid}`;
fs.rmSync(staging, { recursive: true, force: true });
const bundles = [];
for (const [file, url] of entries()) bundles.push(await bundle(file, url, staging));
fs.writeFileSync(path.join(staging, 'build.json'), `${JSON.stringify({ version: 1, bundles }, null, 1)}\n`);
fs.rmSync(DIST, { recursive: true, force: true });
fs.renameSync(staging, DIST);
const kb = (b) => Math.round(b.files.reduce((n, f) => n + fs.statSync(path.join(DIST, f)).size, 0) / 1024);
for (const b of bundles) console.log(`${b.url}: ${Object.keys(b.inputs).length} modules → ${b.files.length} file(s), ${kb(b)} kB`);
