/**
 * The allowlist of the torch.save reader: the only globals a state_dict pickle may name, and
 * what "calling" each of them builds (data only; nothing is ever called or imported).
 *
 *   collections.OrderedDict                 → an empty Map (state_dicts are OrderedDicts)
 *   torch._utils._rebuild_tensor_v2         → a tensor view of a storage
 *   torch._utils._rebuild_parameter         → the same tensor, requiresGrad as saved
 *   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage → storage types
 *   _codecs.encode(text, 'latin1')          → bytes (how protocol 2 pickles a bytes object)
 *
 * Everything else is refused with an UnsafePickleError naming the callable.
 */
import { kind, type PickleDict, type PickleHooks, type PickleTuple, type PickleValue } from './pickle.js';
import {
  type PendingView,
  STORAGE_DTYPES,
  StorageRef,
  StorageType,
  shapeNumel,
  TorchTensor,
} from './tensors.js';

/** An allowed function named by a GLOBAL. */
class AllowedCallable {
  readonly pickleObject: string;
  constructor(readonly qualname: string) {
    this.pickleObject = `the function ${qualname}`;
  }
}

const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  '_codecs.encode',
]);

export interface TorchHookContext {
  fail(message: string): Error;
  refuse(action: string): Error;
  /** Views built so far, filled once the storages are read. */
  views: PendingView[];
}

/** Non-negative safe integers in a tuple (a size or a stride). */
function intTuple(v: PickleValue, what: string, ctx: TorchHookContext): number[] {
  if (!Array.isArray(v) || !Object.isFrozen(v)) throw ctx.fail(`${what} must be a tuple, got ${kind(v)}`);
  return v.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw ctx.fail(`${what} must hold non-negative integers, got ${kind(d)}`);
    }
    return d;
  });
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(args: PickleTuple, ctx: TorchHookContext): TorchTensor {
  const what = 'torch._utils._rebuild_tensor_v2';
  if (args.length !== 6 && args.length !== 7) {
    throw ctx.fail(`${what} takes 6 or 7 arguments, got ${args.length}`);
  }
  const [storage, offset, size, stride, requiresGrad, hooks] = args;
  if (!(storage instanceof StorageRef))
    throw ctx.fail(`${what}: argument 1 must be a storage, got ${kind(storage!)}`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > storage.numel) {
    throw ctx.fail(
      `${what}: storage offset must be an integer in [0, ${storage.numel}], got ${kind(offset!)}`,
    );
  }
  const shape = intTuple(size!, `${what}: size`, ctx);
  const strides = intTuple(stride!, `${what}: stride`, ctx);
  if (strides.length !== shape.length) {
    throw ctx.fail(`${what}: size (${shape.join(', ')}) and stride (${strides.join(', ')}) differ in length`);
  }
  if (shapeNumel(shape) < 0) throw ctx.fail(`${what}: size (${shape.join(', ')}) has too many elements`);
  if (typeof requiresGrad !== 'boolean')
    throw ctx.fail(`${what}: requires_grad must be a bool, got ${kind(requiresGrad!)}`);
  if (!(hooks instanceof Map) || hooks.size > 0) {
    throw ctx.fail(`${what}: backward hooks must be an empty OrderedDict, got ${kind(hooks!)}`);
  }
  const tensor = new TorchTensor(storage.dtype, shape, new Uint8Array(0), requiresGrad);
  ctx.views.push({ tensor, storage, offset, stride: strides });
  return tensor;
}

function rebuildParameter(args: PickleTuple, ctx: TorchHookContext): TorchTensor {
  const [data, requiresGrad, hooks] = args;
  if (args.length !== 3 || !(data instanceof TorchTensor) || typeof requiresGrad !== 'boolean') {
    throw ctx.fail('torch._utils._rebuild_parameter takes (tensor, requires_grad, backward_hooks)');
  }
  if (!(hooks instanceof Map) || hooks.size > 0) {
    throw ctx.fail(
      `torch._utils._rebuild_parameter: backward hooks must be an empty OrderedDict, got ${kind(hooks!)}`,
    );
  }
  data.requiresGrad = requiresGrad;
  return data;
}

/** _codecs.encode(text, 'latin1'): the bytes whose codes are the text's characters. */
function latin1Bytes(args: PickleTuple, ctx: TorchHookContext): Uint8Array {
  const [text, codec] = args;
  if (args.length !== 2 || typeof text !== 'string' || (codec !== 'latin1' && codec !== 'latin-1')) {
    throw ctx.refuse(`refusing to call _codecs.encode with anything but (text, 'latin1')`);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw ctx.fail(`_codecs.encode: character ${c} is not Latin-1`);
    out[i] = c;
  }
  return out;
}

/** The hooks of one read. `orderedDicts` marks the Maps built by OrderedDict, the only BUILD targets. */
export function torchHooks(ctx: TorchHookContext, storages: Map<string, StorageRef>): PickleHooks {
  const orderedDicts = new WeakSet<PickleDict>();
  return {
    global(module, name) {
      const qualname = `${module}.${name}`;
      if (CALLABLES.has(qualname)) return new AllowedCallable(qualname);
      if (module === 'torch' && name.endsWith('Storage')) {
        const dtype = STORAGE_DTYPES[name];
        if (dtype === undefined) {
          throw ctx.fail(
            `torch.${name} tensors are not supported (kioku reads ${Object.keys(STORAGE_DTYPES).join(', ')})`,
          );
        }
        return new StorageType(name, dtype);
      }
      throw ctx.refuse(`refusing to call ${qualname}`);
    },
    call(callable, args) {
      if (!(callable instanceof AllowedCallable)) {
        const name = callable instanceof StorageType ? `torch.${callable.name}` : kind(callable);
        throw ctx.refuse(`refusing to call ${name}`);
      }
      switch (callable.qualname) {
        case 'collections.OrderedDict': {
          if (args.length !== 0) throw ctx.fail('collections.OrderedDict is called with arguments');
          const dict: PickleDict = new Map();
          orderedDicts.add(dict);
          return dict;
        }
        case 'torch._utils._rebuild_tensor_v2':
          return rebuildTensor(args, ctx);
        case 'torch._utils._rebuild_parameter':
          return rebuildParameter(args, ctx);
        default:
          return latin1Bytes(args, ctx);
      }
    },
    build(target, state) {
      // An OrderedDict's instance attributes (state_dict()._metadata, module versions): dropped.
      const ok = target instanceof Map && orderedDicts.has(target) && state instanceof Map;
      if (!ok || [...state.keys()].some((k) => typeof k !== 'string')) {
        throw ctx.refuse(`refusing to set the state of ${kind(target)} (pickle BUILD)`);
      }
    },
    persistentLoad(pid) {
      return storageRef(pid, ctx, storages);
    },
  };
}

/** ('storage', torch.FloatStorage, key, location, numel[, view_metadata]) → the storage it names. */
function storageRef(pid: PickleValue, ctx: TorchHookContext, storages: Map<string, StorageRef>): StorageRef {
  const ok =
    Array.isArray(pid) &&
    (pid.length === 5 || pid.length === 6) &&
    pid[0] === 'storage' &&
    pid[1] instanceof StorageType &&
    typeof pid[2] === 'string' &&
    typeof pid[3] === 'string' &&
    typeof pid[4] === 'number' &&
    Number.isSafeInteger(pid[4]) &&
    pid[4] >= 0;
  if (!ok) {
    throw ctx.fail(
      `a persistent id must be ('storage', storage type, key, location, size), got ${kind(pid)}`,
    );
  }
  if (pid.length === 6 && pid[5] !== null) {
    throw ctx.fail(
      'storage views of PyTorch < 0.4 are not supported; load and re-save the file with torch.save',
    );
  }
  const [, type, key, , numel] = pid as [string, StorageType, string, string, number];
  // torch.save names storages by number; a key that is a path ("../x") only comes from a crafted file.
  if (!/^\w{1,64}$/.test(key)) {
    throw ctx.fail(
      `storage key ${JSON.stringify(key.slice(0, 80))} is not a plain name (letters, digits, _)`,
    );
  }
  const known = storages.get(key);
  if (known === undefined) {
    const ref = new StorageRef(key, type.dtype, numel);
    storages.set(key, ref);
    return ref;
  }
  if (known.dtype !== type.dtype || known.numel !== numel) {
    throw ctx.fail(`storage "${key}" is named twice with different types or sizes`);
  }
  return known;
}
