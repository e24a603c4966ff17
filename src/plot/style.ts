/** What every kioku chart spec shares: the Vega-Lite schema it names and its look. */

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

// The font the PNG renderer (png.ts) loads, so SVG and PNG look alike.
const FONT = 'DejaVu Sans, sans-serif';

/** One font everywhere, a light frame and grid. */
export const CHART_CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFont: FONT, titleFont: FONT, gridColor: '#eee' },
  legend: { labelFont: FONT, titleFont: FONT },
  title: { font: FONT, fontSize: 14 },
} as const;
