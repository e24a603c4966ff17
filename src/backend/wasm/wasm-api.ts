/*
 * The part of the WebAssembly JavaScript API the backend uses, typed here because kioku compiles
 * without the DOM's type library (and Node 20's types leave WebAssembly out).
 */

/** A compiled module (WebAssembly.Module). */
export interface WasmModule {
  readonly [Symbol.toStringTag]?: string;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmGlobal {
  value: unknown;
}
type Bytes = ArrayBuffer | ArrayBufferView;

export interface WasmApi {
  Module: {
    new (bytes: Bytes): WasmModule;
    customSections(module: WasmModule, name: string): ArrayBuffer[];
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
  validate(bytes: Bytes): boolean;
  compile(bytes: Bytes): Promise<WasmModule>;
  /** Compiles a fetch Response's body as it arrives (browsers; Node 18+). */
  compileStreaming?(response: Response): Promise<WasmModule>;
}

/** The engine's WebAssembly object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The same, for code that runs only after a module loaded. */
export function requireWasmApi(): WasmApi {
  const api = wasmApi();
  if (!api) throw new Error('this engine has no WebAssembly');
  return api;
}
