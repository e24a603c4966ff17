import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './models.js';

/** `path` with symbolic links resolved, for the part of it that exists. */
async function canonical(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await canonical(parent), basename(abs));
  }
}

/** Writing into the model directory read would replace the saved model with what is derived from it. */
export async function refuseOutIsModel(out: string, model: string, what: string): Promise<void> {
  if ((await canonical(out)) === (await canonical(model))) {
    throw new CliError(
      `--out "${out}" is the model directory "${model}"; ${what} there would overwrite the saved model, choose another --out`,
    );
  }
}
