import { KiokuError } from '../../tensor/errors.js';

/** A torch.save file that is malformed, truncated, over a limit, or holds something kioku cannot read. */
export class TorchFileError extends KiokuError {
  override name = 'TorchFileError';
}

/**
 * A pickle that names a callable outside the state_dict allowlist (os.system, builtins.eval, a
 * whole nn.Module …). Nothing is ever called or imported: the reader only builds data.
 */
export class UnsafePickleError extends TorchFileError {
  override name = 'UnsafePickleError';
}
