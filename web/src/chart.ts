/**
 * A small SVG line chart: a few named series over a shared x axis, drawn into an <svg> element
 * whose size follows its container (the viewBox is fixed, the element scales). Light enough to
 * redraw on every progress event.
 */

export interface Line {
  name: string;
  color: string;
  /** [x, y] points; NaN y values leave a gap. */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  /** Labels for x values (dates); default the numbers themselves. */
  xLabel?: (x: number) => string;
  /** A vertical marker (where the history ends and a forecast starts). */
  marker?: number;
}

const W = 480;
const H = 220;
const PAD = { left: 46, right: 10, top: 26, bottom: 36 };
const NS = 'http://www.w3.org/2000/svg';

/** About `count` round numbers spanning [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const step = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + nice * 1e-9; v += nice)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0)
    ? v.toExponential(1)
    : String(Number(v.toPrecision(3)));

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The extent of every finite value, widened a little so lines do not touch the frame. */
function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function path(points: Array<[number, number]>, sx: (x: number) => number, sy: (y: number) => number): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Points with no finite neighbour: a path through them draws nothing, so each gets a dot. */
function lonePoints(points: Array<[number, number]>): Array<[number, number]> {
  const finite = (i: number) => i >= 0 && i < points.length && Number.isFinite(points[i]![1]);
  return points.filter((_, i) => finite(i) && !finite(i - 1) && !finite(i + 1));
}

/** The x range; a single x (one epoch) is centred instead of drawn against the frame. */
function xRange(xs: number[]): [number, number] {
  if (xs.length === 0) return [0, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

export function drawChart(svg: SVGSVGElement, lines: Line[], options: ChartOptions): void {
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const xs = lines.flatMap((l) => l.points.map(([x]) => x));
  const [x0, x1] = xRange(xs);
  const [y0, y1] = extent(lines.flatMap((l) => l.points.map(([, y]) => y)));
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  svg.append(el('text', { x: PAD.left, y: 16, class: 'chart-title' }, options.title));
  for (const t of ticks(y0, y1)) {
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: sy(t), y2: sy(t), class: 'grid' }));
    svg.append(el('text', { x: PAD.left - 4, y: sy(t) + 3, class: 'tick', 'text-anchor': 'end' }, fmt(t)));
  }
  // Whole-number x values (epochs, rows) get whole-number ticks.
  const whole = xs.every(Number.isInteger);
  const xTicks = ticks(x0, x1, 4).filter((t) => Number.isInteger(t) || !whole);
  for (const t of xTicks) {
    const label = options.xLabel ? options.xLabel(t) : fmt(t);
    svg.append(
      el('text', { x: sx(t), y: H - PAD.bottom + 14, class: 'tick', 'text-anchor': 'middle' }, label),
    );
  }
  if (options.marker !== undefined) {
    const x = sx(options.marker);
    svg.append(el('line', { x1: x, x2: x, y1: PAD.top, y2: H - PAD.bottom, class: 'marker' }));
  }
  lines.forEach((line, i) => {
    const attrs: Record<string, string | number> = {
      d: path(line.points, sx, sy),
      stroke: line.color,
      class: 'line',
    };
    if (line.dashed) attrs['stroke-dasharray'] = '4 3';
    svg.append(el('path', attrs));
    for (const [x, y] of lonePoints(line.points)) {
      svg.append(el('circle', { cx: sx(x), cy: sy(y), r: 3, fill: line.color, class: 'point' }));
    }
    const lx = PAD.left + i * 120;
    svg.append(el('rect', { x: lx, y: H - 12, width: 10, height: 3, fill: line.color }));
    svg.append(el('text', { x: lx + 14, y: H - 8, class: 'legend' }, line.name));
  });
}
