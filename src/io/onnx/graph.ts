/**
 * A small ONNX graph builder: named nodes, float/int initializers and typed graph inputs and
 * outputs, encoded with protobufjs against the schema in schema.ts.
 */
import { AttributeType, DataType, ModelProto } from './schema.js';

/** One dimension of a graph input or output: a size, or a name for a dynamic axis. */
export type Dim = number | string;

export type AttrValue =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: readonly number[] }
  | { strings: readonly string[] };

interface Attribute {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  strings?: Uint8Array[];
}

interface ValueInfo {
  name: string;
  type: {
    tensorType: { elemType: number; shape: { dim: Array<{ dimValue: number } | { dimParam: string }> } };
  };
}

interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const utf8 = new TextEncoder();

function attribute(name: string, v: AttrValue): Attribute {
  if ('int' in v) return { name, type: AttributeType.INT, i: v.int };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('string' in v) return { name, type: AttributeType.STRING, s: utf8.encode(v.string) };
  if ('ints' in v) return { name, type: AttributeType.INTS, ints: [...v.ints] };
  return { name, type: AttributeType.STRINGS, strings: v.strings.map((s) => utf8.encode(s)) };
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Little-endian bytes of `data`, as TensorProto.raw_data requires. */
function rawBytes(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true);
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i]!, true);
    else view.setBigInt64(i * 8, data[i]!, true);
  }
  return out;
}

export class GraphBuilder {
  private readonly nodes: Array<Record<string, unknown>> = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  /** Graph outputs declared but not yet produced: the node that makes one keeps its exact name. */
  private readonly pending = new Set<string>();

  /** A value name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name) || this.pending.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph output; call before adding the node that produces it. */
  output(name: string, elemType: number, dims: readonly Dim[]): string {
    this.pending.add(name);
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  floats(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: rawBytes(data) });
    return name;
  }

  int64s(base: string, dims: readonly number[], values: readonly number[]): string {
    const name = this.fresh(base);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims: [...dims], dataType: DataType.INT64, rawData: rawBytes(data) });
    return name;
  }

  /**
   * Adds a node. `outputs` are the names to produce: a declared graph output keeps its name,
   * any other name gets a suffix if taken; '' skips an optional output. Returns the names used.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
  ): string[] {
    const outs = outputs.map((o) => {
      if (o === '') return '';
      if (this.pending.delete(o)) {
        this.used.add(o);
        return o;
      }
      return this.fresh(o);
    });
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output node; returns the output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    output: string,
    attrs: Record<string, AttrValue> = {},
  ): string {
    return this.node(opType, inputs, [output], attrs)[0]!;
  }

  /** Serialized ModelProto. */
  encode(options: {
    graphName: string;
    opset: number;
    irVersion: number;
    producerVersion: string;
    doc: string;
  }): Uint8Array {
    const model = ModelProto.create({
      irVersion: options.irVersion,
      producerName: 'kioku',
      producerVersion: options.producerVersion,
      docString: options.doc,
      opsetImport: [{ domain: '', version: options.opset }],
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return ModelProto.encode(model).finish();
  }
}
