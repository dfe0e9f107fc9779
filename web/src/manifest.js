// Fetch and validate a package manifest against manifest.schema.json (exported from the pydantic
// model by `edgeward schema`). A field the runtime does not understand is an error naming it.
// The validator handles the JSON-Schema subset pydantic emits: type, properties, required,
// additionalProperties (false or a schema), propertyNames, items, enum, const, pattern,
// minLength/maxLength, minItems/maxItems, minimum/maximum/exclusive*, anyOf, oneOf, $ref to $defs.
// Missing properties with a `default` are filled in, as pydantic does.

export const MANIFEST_FILE = 'manifest.json';

export class ManifestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ManifestError';
  }
}

let schemaPromise = null;

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

/** Fetch `${packageUrl}manifest.json`, validate it, return it with defaults filled in. */
export async function fetchManifest(packageUrl, fetchImpl = fetch) {
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
  return validateManifest(data, await loadSchema(), url);
}

/** Throws ManifestError naming every bad field; returns a normalised copy. */
export function validateManifest(data, schema, source = MANIFEST_FILE) {
  const errors = [];
  const value = check(data, schema, [], schema, errors);
  if (errors.length) throw new ManifestError(`${source}: ${errors.join('; ')}`);
  return value;
}

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
    if (!m || !root.$defs || !root.$defs[m[1]]) throw new ManifestError(`schema: unresolvable $ref '${s.$ref}'`);
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
  const props = schema.properties || {};
  const out = {};
  for (const key of schema.required || []) {
    if (!(key in value)) errors.push(`missing field '${fieldName([...path, key])}'`);
  }
  for (const [key, v] of Object.entries(value)) {
    const p = [...path, key];
    if (schema.propertyNames) {
      const nameErrors = [];
      check(key, schema.propertyNames, p, root, nameErrors);
      if (nameErrors.length) { errors.push(`unknown field '${fieldName(p)}'`); continue; }
    }
    if (key in props) out[key] = check(v, props[key], p, root, errors);
    else if (schema.additionalProperties === false) errors.push(`unknown field '${fieldName(p)}'`);
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      out[key] = check(v, schema.additionalProperties, p, root, errors);
    } else out[key] = v;
  }
  for (const [key, sub] of Object.entries(props)) {
    const s = resolve(sub, root);
    if (!(key in value) && s && 'default' in s) out[key] = structuredClone(s.default);
  }
  return out;
}

function checkAlternatives(value, schema, path, root, errors) {
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
