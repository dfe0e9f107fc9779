// web/src/edgeward.d.ts (the hand-written types of @edgeward/runtime) declares exactly what edgeward.js
// exports, and the package manifest's exports point at files that exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const SRC = new URL('../src/', import.meta.url);
const read = (name) => readFileSync(new URL(name, SRC), 'utf8');

test('the .d.ts declares every value edgeward.js exports, and nothing else', async () => {
  const declared = [...read('edgeward.d.ts').matchAll(/^export declare (?:function|const|class) (\w+)/gm)].map((m) => m[1]);
  assert.equal(new Set(declared).size, declared.length, 'declared twice');
  const exported = Object.keys(await import('../src/edgeward.js'));
  assert.deepEqual([...declared].sort(), [...exported].sort());
});

test('the package manifest is publishable and its exports exist', () => {
  const pkg = JSON.parse(read('package.json'));
  assert.equal(pkg.name, '@edgeward/runtime');
  assert.ok(!pkg.private);
  assert.equal(pkg.type, 'module');
  assert.ok(pkg.peerDependencies['onnxruntime-web'], 'onnxruntime-web is a peer dependency');
  assert.equal(pkg.dependencies, undefined, 'the runtime has no dependencies of its own');
  const web = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.version, web.version);
  assert.equal(pkg.peerDependencies['onnxruntime-web'], `~${web.dependencies['onnxruntime-web']}`, 'the version the apps are tested on');
  const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
  for (const target of [...targets, pkg.main, pkg.types]) assert.ok(existsSync(new URL(target, SRC)), target);
});
