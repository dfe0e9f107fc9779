// The protobuf wire format, only as far as ONNX files of trained heads need it (onnx-writer.js writes,
// onnx-reader.js reads): varints (wire type 0) and length-delimited fields (wire type 2: strings,
// bytes, nested messages). Fields are written in the order the caller gives; the ONNX writer gives
// them in field-number order, as Python's protobuf serialises, so the bytes equal Python's.
// onnx.proto is proto2: repeated scalars (dims) are written unpacked; the reader takes both forms.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export const VARINT = 0;
export const LENGTH_DELIMITED = 2;

/** Builds one message; nested messages are written by a child writer into a length-delimited field. */
export class ProtoWriter {
  constructor() {
    /** @type {Uint8Array[]} */ this.chunks = [];
    this.length = 0;
  }

  /** @param {Uint8Array} bytes */
  _push(bytes) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /**
   * A varint of an int64: a negative value takes 10 bytes (two's complement over 64 bits), as protobuf
   * writes an int64 -1 (e.g. Softmax's axis).
   * @param {number | bigint} value
   */
  _varint(value) {
    let v = BigInt.asUintN(64, BigInt(value));
    const out = [];
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v ? low | 0x80 : low);
    } while (v);
    this._push(Uint8Array.from(out));
  }

  /** @param {number} field @param {number} wire */
  _tag(field, wire) {
    this._varint((field << 3) | wire);
  }

  /** An integer field (int32, int64, enum). @param {number} field @param {number | bigint} value */
  int(field, value) {
    this._tag(field, VARINT);
    this._varint(value);
    return this;
  }

  /** @param {number} field @param {Uint8Array} bytes */
  bytes(field, bytes) {
    this._tag(field, LENGTH_DELIMITED);
    this._varint(bytes.length);
    this._push(bytes);
    return this;
  }

  /** @param {number} field @param {string} text UTF-8 */
  string(field, text) {
    return this.bytes(field, textEncoder.encode(text));
  }

  /** A nested message, built by `build(child)`. @param {number} field @param {(w: ProtoWriter) => void} build */
  message(field, build) {
    const child = new ProtoWriter();
    build(child);
    return this.bytes(field, child.finish());
  }

  /** The message's bytes. */
  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/**
 * The fields of one message, in order: [{field, wire, value}] — value is a bigint (varint) or a
 * Uint8Array view (length-delimited). Other wire types (fixed32/64) are read past. `what` names the
 * message in errors.
 * @param {Uint8Array} bytes @param {string} what
 * @returns {{field: number, wire: number, value: bigint | Uint8Array}[]}
 */
export function readFields(bytes, what) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length || shift > 63n) throw new RangeError(`${what}: a varint runs past the end or past 64 bits`);
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === VARINT) {
      fields.push({ field, wire, value: varint() });
    } else if (wire === LENGTH_DELIMITED) {
      const n = Number(varint());
      if (at + n > bytes.length) throw new RangeError(`${what}: field ${field} holds ${n} bytes past the end`);
      fields.push({ field, wire, value: bytes.subarray(at, at + n) });
      at += n;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else {
      throw new RangeError(`${what}: wire type ${wire} (field ${field}) is not one protobuf writes here`);
    }
  }
  return fields;
}

/** A length-delimited value as UTF-8 text. @param {Uint8Array} bytes */
export const text = (bytes) => textDecoder.decode(bytes);

/**
 * A repeated int64 field's values, packed or not. @param {{field: number, wire: number, value: bigint | Uint8Array}[]} fields
 * @param {number} field
 * @returns {number[]}
 */
export function repeatedInts(fields, field) {
  const out = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (typeof f.value === 'bigint') out.push(Number(BigInt.asIntN(64, f.value)));
    else for (const g of readFields(packedAsFields(f.value), 'packed ints')) out.push(Number(BigInt.asIntN(64, /** @type {bigint} */ (g.value))));
  }
  return out;
}

/** Packed varints re-tagged as field 1 varints, so readFields can walk them. @param {Uint8Array} packed */
function packedAsFields(packed) {
  const out = [];
  let start = true;
  for (const b of packed) {
    if (start) out.push(0x08);
    out.push(b);
    start = !(b & 0x80);
  }
  return Uint8Array.from(out);
}
