import type { TopLevelSpec } from 'vega-lite';

/**
 * Compiles a Vega-Lite spec and renders it headlessly to an SVG string (no DOM, no canvas).
 * vega and vega-lite load on the first call: a dependency of vega awaits at its top level, which
 * would stop `require('kioku')`, and a bundle that draws no chart leaves them out.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
