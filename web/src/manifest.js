// Fetch and validate a package manifest against manifest.schema.json (exported from the pydantic
// model by `edgeward schema`). A field the runtime does not understand is an error naming it.
// The validator handles the JSON-Schema subset pydantic emits: type, properties, required,
// additionalProperties (false or a schema), propertyNames, items, enum, const, pattern,
// minLength/maxLength, minItems/maxItems, minimum/maximum/exclusive*, anyOf, oneOf (with
// pydantic's `discriminator`: the tag must be present and names the one form to check), $ref to
// $defs. Missing properties with a `default` are filled in, as pydantic does. Some rules are not in
// the JSON Schema (pydantic's model validator, manifest_rule_errors): pose, detect and classify need
// preprocess and postprocess; 'features' needs head and labels and has neither; a head on 'embedding'
// or 'pose' features needs base; a knn head needs k, an mlp head hidden; files.head and training
// need a head; a size key ('fp32@257x257') needs preprocess, its plain variant, sides 16..4096 and a
// size other than the package's own. web/test/manifest.test.js checks all of it against pydantic, rule by rule.

import { ManifestError } from './errors.js';
import { MAX_INPUT_SIDE, MIN_INPUT_SIDE, splitSizeKey } from './sizes.js';

export { ManifestError };

export const MANIFEST_FILE = 'manifest.json';

/**
 * A JSON Schema node (the subset pydantic emits).
 * @typedef {{[keyword: string]: any}} Schema
 */

/**
 * A validated package manifest (fields as in src/edgeward/package/manifest.py; defaults filled in).
 * @typedef {object} Manifest
 * @property {1} schema_version
 * @property {string} name
 * @property {string} version
 * @property {'pose' | 'detect' | 'classify' | 'tensor' | 'features'} task
 * @property {{[variant: string]: FileEntry}} files  keys 'fp32' | 'fp16' | 'int8' | 'int8-wasm' | 'int8-kernels' | 'head', and
 *   size keys '<variant>@<H>x<W>' (that variant converted for an H×W input; sizes.js)
 * @property {TensorSpec[]} inputs
 * @property {TensorSpec[]} outputs
 * @property {Preprocess | null} preprocess  null only for task 'tensor'
 * @property {Postprocess | null} postprocess  null only for task 'tensor'
 * @property {string[] | null} labels
 * @property {{[key: string]: any}} provenance
 * @property {string} license
 * @property {string | null} base  'NAME@X.Y.Z' a trained head was trained on
 * @property {{[key: string]: any} | null} head  a trained head (kind, features, dim, input, output, …)
 * @property {{[key: string]: any} | null} training  the training report
 */

/**
 * @typedef {object} FileEntry
 * @property {string} path
 * @property {string} sha256
 * @property {number} bytes
 * @property {{[key: string]: any} | null} [report]
 * @property {{[output: string]: number}} [parity_max_abs_diff]  a size file's own parity to the source model
 */

/**
 * @typedef {object} TensorSpec
 * @property {string} name
 * @property {'float32' | 'float16' | 'int32' | 'int64' | 'uint8' | 'bool'} dtype
 * @property {(number | null)[]} shape
 * @property {'NHWC' | 'NCHW' | null} [layout]
 */

/**
 * @typedef {object} Preprocess
 * @property {'letterbox' | 'center_crop'} [resize]
 * @property {number[]} size  [height, width]
 * @property {number} scale
 * @property {number} offset
 * @property {number} [pad_value]
 */

/**
 * Postprocess: one of the kinds 'posenet', 'movenet', 'centernet', 'classify' (see the schema).
 * @typedef {{kind: string, [field: string]: any}} Postprocess
 */

/** @type {Promise<Schema> | null} */
let schemaPromise = null;

/**
 * manifest.schema.json, fetched once from next to this module.
 * @returns {Promise<Schema>}
 */
export function loadSchema() {
  if (!schemaPromise) {
    const url = new URL('./manifest.schema.json', import.meta.url);
    schemaPromise = fetch(url).then((r) => {
      if (!r.ok) throw new ManifestError(`${url}: HTTP ${r.status} loading the manifest schema`);
      return r.json();
    });
    schemaPromise.catch(() => { schemaPromise = null; });
  }
  return schemaPromise;
}

/**
 * Fetch `${packageUrl}manifest.json`, validate it, return it with defaults filled in.
 * @param {string | URL} packageUrl  the package folder, ending in '/'
 * @param {typeof fetch} [fetchImpl]
 * @param {Schema} [schema]  default: manifest.schema.json next to this module
 * @returns {Promise<Manifest>}
 */
export async function fetchManifest(packageUrl, fetchImpl = fetch, schema = undefined) {
  const url = new URL(MANIFEST_FILE, packageUrl).href;
  let response;
  try {
    response = await fetchImpl(url, { cache: 'no-cache' });
  } catch (err) {
    throw new ManifestError(`${url}: download failed (${err.message || err})`);
  }
  if (response.status !== 200) throw new ManifestError(`${url}: HTTP ${response.status}, manifest not found`);
  let data;
  try {
    data = JSON.parse(await response.text());
  } catch (err) {
    throw new ManifestError(`${url}: not valid JSON (${err.message})`);
  }
  return validateManifest(data, schema ?? await loadSchema(), url);
}

/**
 * Throws ManifestError naming every bad field; returns a normalised copy (defaults filled in).
 * @param {unknown} data  the parsed manifest.json
 * @param {Schema} schema  manifest.schema.json
 * @param {string} [source]  named at the start of the error message
 * @returns {Manifest}
 */
export function validateManifest(data, schema, source = MANIFEST_FILE) {
  /** @type {string[]} */
  const errors = [];
  const value = check(data, schema, [], schema, errors);
  if (!errors.length) checkCrossFieldRules(value, errors);
  if (!errors.length) checkUnicode(data, [], errors);
  if (errors.length) throw new ManifestError(`${source}: ${errors.join('; ')}`);
  return value;
}

// A lone surrogate ('\ud800', which JSON's escapes can spell) is not text: UTF-8 cannot store it, so the
// registry and the Python side refuse it (pydantic: manifest.py's _json_values). Same rule here.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkUnicode(value, path, errors) {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) errors.push(`field '${fieldName(path)}': not well-formed Unicode (a lone surrogate)`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkUnicode(v, [...path, i], errors));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) errors.push(`field '${fieldName(path)}': key ${JSON.stringify(k)} is not well-formed Unicode (a lone surrogate)`);
      else checkUnicode(v, [...path, k], errors);
    }
  }
}

/**
 * `data` checked against `schema` (the subset above; `root` holds the $defs its $refs name), without
 * the manifest's own cross-field rules: {value (defaults filled in), errors}. The federated protocol's
 * messages are checked with it (federated/protocol.js).
 * @param {unknown} data @param {Schema} schema @param {Schema} [root]
 * @returns {{value: any, errors: string[]}}
 */
export function schemaErrors(data, schema, root = schema) {
  /** @type {string[]} */
  const errors = [];
  const value = check(data, schema, [], root, errors);
  return { value, errors };
}

const isNull = (v) => v === null || v === undefined;

// pydantic's model validator (manifest_rule_errors in src/edgeward/package/manifest.py), rule by rule.
function checkCrossFieldRules(m, errors) {
  if (['pose', 'detect', 'classify'].includes(m.task)) {
    for (const key of ['preprocess', 'postprocess']) {
      if (isNull(m[key])) errors.push(`field '${key}': task '${m.task}' needs it (only tasks 'tensor' and 'features' have none)`);
    }
  }
  if (m.task === 'features') {
    for (const key of ['head', 'labels']) if (isNull(m[key])) errors.push(`field '${key}': task 'features' needs it`);
    for (const key of ['preprocess', 'postprocess']) {
      if (!isNull(m[key])) errors.push(`field '${key}': task 'features' has none (its input is features)`);
    }
  }
  const head = m.head;
  if (!isNull(head)) {
    if (head.features !== 'raw' && isNull(m.base)) {
      errors.push(`field 'base': a head on '${head.features}' features needs the package they come from`);
    }
    for (const [kind, key] of [['knn', 'k'], ['mlp', 'hidden']]) {
      if (head.kind === kind && isNull(head[key])) errors.push(`field 'head.${key}': a '${kind}' head needs it`);
    }
  } else {
    if (hasOwn(m.files, 'head')) errors.push("field 'files.head': only a package with a 'head' field has a head file");
    if (!isNull(m.training)) errors.push("field 'training': only a package with a 'head' field has a training report");
  }
  checkSizeKeys(m, errors);
}

// size_key_errors in manifest.py, word for word: a size key ('fp32@257x257') needs an image input
// (preprocess), its variant as a plain key, sides MIN_INPUT_SIDE..MAX_INPUT_SIDE, a size not the package's own.
function checkSizeKeys(m, errors) {
  for (const key of Object.keys(m.files)) {
    const split = splitSizeKey(key);
    if (!split) continue;
    const { variant, size: [height, width] } = split;
    const where = `field 'files.${key}'`;
    if (isNull(m.preprocess)) {
      errors.push(`${where}: a file for another input size needs field 'preprocess' (an image input)`);
      continue;
    }
    if (!hasOwn(m.files, variant)) errors.push(`${where}: the package has no '${variant}' file at its own size (files.${variant})`);
    if (![height, width].every((side) => side >= MIN_INPUT_SIDE && side <= MAX_INPUT_SIDE)) {
      errors.push(`${where}: height and width must be ${MIN_INPUT_SIDE} to ${MAX_INPUT_SIDE}`);
    } else if (height === m.preprocess.size[0] && width === m.preprocess.size[1]) {
      errors.push(`${where}: ${height}x${width} is the package's own input size (preprocess.size); that file is files.${variant}`);
    }
  }
}

const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

const fieldName = (path) => path.join('.') || '<root>';

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v, type) {
  const t = typeOf(v);
  if (type === 'number') return t === 'number' || t === 'integer';
  return t === type;
}

function resolve(schema, root) {
  let s = schema;
  while (s && s.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    if (!m || !root.$defs || !hasOwn(root.$defs, m[1])) throw new ManifestError(`schema: unresolvable $ref '${s.$ref}'`);
    s = root.$defs[m[1]];
  }
  return s;
}

function check(value, schemaIn, path, root, errors) {
  const schema = resolve(schemaIn, root);
  if (schema === true || schema === undefined) return value;
  if (schema === false) {
    errors.push(`field '${fieldName(path)}' is not allowed`);
    return value;
  }
  const where = `field '${fieldName(path)}'`;
  if (schema.anyOf || schema.oneOf) return checkAlternatives(value, schema, path, root, errors);
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(value, t))) {
      errors.push(`${where}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
      return value;
    }
  }
  if ('const' in schema && value !== schema.const) {
    errors.push(`${where}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${where}: expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === 'string') checkString(value, schema, where, errors);
  if (typeof value === 'number') checkNumber(value, schema, where, errors);
  if (Array.isArray(value)) return checkArray(value, schema, path, root, errors);
  if (typeOf(value) === 'object') return checkObject(value, schema, path, root, errors);
  return value;
}

function checkString(value, schema, where, errors) {
  if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where}: shorter than ${schema.minLength}`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where}: longer than ${schema.maxLength}`);
}

function checkNumber(value, schema, where, errors) {
  if (schema.minimum !== undefined && !(value >= schema.minimum)) errors.push(`${where}: must be >= ${schema.minimum}`);
  if (schema.maximum !== undefined && !(value <= schema.maximum)) errors.push(`${where}: must be <= ${schema.maximum}`);
  if (schema.exclusiveMinimum !== undefined && !(value > schema.exclusiveMinimum)) errors.push(`${where}: must be > ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined && !(value < schema.exclusiveMaximum)) errors.push(`${where}: must be < ${schema.exclusiveMaximum}`);
}

function checkArray(value, schema, path, root, errors) {
  const where = `field '${fieldName(path)}'`;
  if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${where}: expected at least ${schema.minItems} items, got ${value.length}`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${where}: expected at most ${schema.maxItems} items, got ${value.length}`);
  if (!schema.items) return value.slice();
  return value.map((item, i) => check(item, schema.items, [...path, i], root, errors));
}

function checkObject(value, schema, path, root, errors) {
  // Own properties only: names such as 'constructor' or '__proto__' are fields like any other.
  const props = schema.properties || {};
  const out = [];
  for (const key of schema.required || []) {
    if (!hasOwn(value, key)) errors.push(`missing field '${fieldName([...path, key])}'`);
  }
  for (const [key, v] of Object.entries(value)) {
    const p = [...path, key];
    if (schema.propertyNames) {
      const nameErrors = [];
      check(key, schema.propertyNames, p, root, nameErrors);
      if (nameErrors.length) { errors.push(`unknown field '${fieldName(p)}'`); continue; }
    }
    if (hasOwn(props, key)) out.push([key, check(v, props[key], p, root, errors)]);
    else if (schema.additionalProperties === false) errors.push(`unknown field '${fieldName(p)}'`);
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      out.push([key, check(v, schema.additionalProperties, p, root, errors)]);
    } else out.push([key, v]);
  }
  for (const [key, sub] of Object.entries(props)) {
    const s = resolve(sub, root);
    if (!hasOwn(value, key) && s && hasOwn(s, 'default')) out.push([key, structuredClone(s.default)]);
  }
  return Object.fromEntries(out); // own data properties, whatever their names
}

function checkAlternatives(value, schema, path, root, errors) {
  if (schema.discriminator && typeOf(value) === 'object') return checkTagged(value, schema, path, root, errors);
  const branches = schema.anyOf || schema.oneOf;
  const tried = branches.map((b) => {
    const errs = [];
    return { value: check(value, b, path, root, errs), errors: errs, schema: resolve(b, root) };
  });
  const ok = tried.filter((t) => t.errors.length === 0);
  if (schema.oneOf && ok.length > 1) {
    errors.push(`field '${fieldName(path)}': matches more than one alternative`);
    return value;
  }
  if (ok.length) return ok[0].value;
  // Report the errors of the one alternative whose type fits, so nested fields are named.
  const fitting = tried.filter((t) => !t.schema.type || typeMatches(value, t.schema.type));
  if (fitting.length === 1) errors.push(...fitting[0].errors);
  else errors.push(`field '${fieldName(path)}': matches none of the allowed forms`);
  return value;
}

// pydantic's discriminated union: the tag property must be there (its default does not count) and
// picks the one form the object is checked against, so errors name that form's fields.
function checkTagged(value, schema, path, root, errors) {
  const { propertyName: tag, mapping = {} } = schema.discriminator;
  const where = fieldName([...path, tag]);
  if (!hasOwn(value, tag)) {
    errors.push(`missing field '${where}' (one of ${Object.keys(mapping).map((k) => `'${k}'`).join(', ')})`);
    return value;
  }
  const kind = value[tag];
  if (typeof kind !== 'string' || !hasOwn(mapping, kind)) {
    errors.push(`field '${where}': expected one of ${Object.keys(mapping).map((k) => JSON.stringify(k)).join(', ')}, got ${JSON.stringify(kind)}`);
    return value;
  }
  return check(value, { $ref: mapping[kind] }, path, root, errors);
}
