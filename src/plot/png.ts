import { Resvg } from '@resvg/resvg-js';
import { ValueError } from '../tensor/errors.js';

export interface PngOptions {
  /** Pixel scale relative to the SVG's own size (2 gives a sharp image on high-density screens). */
  scale?: number;
}

/**
 * Rasterises an SVG to PNG bytes with resvg, using the system's fonts for text.
 * Node-only (resvg is a native module); the SVG renderers work anywhere.
 */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new ValueError(`svgToPng: scale must be in (0, 8], got ${scale}`);
  if (!svg.includes('<svg'))
    throw new ValueError('svgToPng: svg must be an SVG document, got no <svg> element');
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
