import { describe, expect, it } from 'vitest';
import {
  confusionMatrixSpec,
  confusionMatrixSvg,
  forecastSpec,
  forecastSvg,
  trainingCurvesSpec,
  trainingCurvesSvg,
} from '../../src/plot/index.js';
import { svgToPng } from '../../src/plot/png.js';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';

type Row = Record<string, unknown>;
const rows = (spec: object): Row[] => (spec as { data: { values: Row[] } }).data.values;

function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

describe('training curves', () => {
  const history = { loss: [0.7, 0.4], valLoss: [0.6, 0.5], accuracy: [0.6, 0.8], valAccuracy: [0.65, 0.75] };

  it('puts train and validation series of loss and metric in long form', () => {
    const data = rows(trainingCurvesSpec(history, { metric: 'accuracy' }));
    expect(data).toContainEqual({ epoch: 2, value: 0.5, split: 'validation', panel: 'loss' });
    expect(data).toContainEqual({ epoch: 1, value: 0.6, split: 'train', panel: 'accuracy' });
    expect(data).toHaveLength(8);
  });

  it('renders an SVG with both panel titles and a PNG of twice its size', async () => {
    const svg = await trainingCurvesSvg(history, { metric: 'accuracy' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>accuracy<');
    expect(svg).toContain('>validation<');
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const png = svgToPng(svg, { scale: 2 });
    expect([...png.slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    expect(pngSize(png)[0]).toBe(2 * width);
  });

  it('rejects an empty history and an unknown metric', () => {
    expect(() => trainingCurvesSpec({ loss: [] })).toThrow(ValueError);
    expect(() => trainingCurvesSpec(history, { metric: 'mae' })).toThrow(/"mae".*loss, valLoss/);
  });
});

describe('confusion matrix', () => {
  it('lays out counts with true rows and predicted columns', async () => {
    const data = rows(
      confusionMatrixSpec(
        [
          [5, 1],
          [2, 8],
        ],
        ['ham', 'spam'],
      ),
    );
    expect(data).toContainEqual({ actual: 'spam', predicted: 'ham', count: 2, share: 2 / 16 });
    const svg = await confusionMatrixSvg(
      [
        [5, 1],
        [2, 8],
      ],
      ['ham', 'spam'],
    );
    expect(svg).toContain('>spam<');
    expect(svg).toContain('>8<');
  });

  it('rejects a non-square matrix and a label count mismatch', () => {
    expect(() => confusionMatrixSpec([[1, 2]])).toThrow(ShapeError);
    expect(() => confusionMatrixSpec([[1]], ['a', 'b'])).toThrow(/1 classes, got 2/);
  });
});

describe('forecast chart', () => {
  it('draws actual and every named series', async () => {
    const chart = {
      x: [1, 2, 3],
      actual: [1, 2, 3],
      series: { model: [1.1, 2.1, 2.9], persistence: [1, 1, 2] },
    };
    const data = rows(forecastSpec(chart));
    expect(data.filter((r) => r.series === 'persistence').map((r) => r.value)).toEqual([1, 1, 2]);
    const svg = await forecastSvg(chart);
    expect(svg).toContain('>persistence<');
    expect(() => forecastSpec({ ...chart, series: { bad: [1] } })).toThrow(/"bad" has 1 values but x has 3/);
  });
});

describe('confusion matrix of many classes', () => {
  const k = 26;
  const labels = Array.from({ length: k }, (_, i) => String.fromCharCode(97 + i));
  // Class i has i + 1 examples; each class is confused with the next one once when it has more than 2.
  const matrix = labels.map((_, t) =>
    labels.map((_, p) => (p === t ? (t > 1 ? t : t + 1) : p === (t + 1) % k && t > 1 ? 1 : 0)),
  );

  it('normalises rows and sorts classes by support, most frequent first', () => {
    const spec = confusionMatrixSpec(matrix, labels, 'letters') as unknown as {
      title: string;
      encoding: { x: { sort: string[] }; y: { sort: string[] } };
      data: { values: Array<{ actual: string; predicted: string; count: number; rate: number }> };
    };
    expect(spec.title).toBe('letters (rows normalised, classes by support)');
    expect(spec.encoding.y.sort).toEqual([...labels].reverse());
    expect(spec.encoding.x.sort).toEqual(spec.encoding.y.sort);
    const cell = (a: string, p: string) => spec.data.values.find((v) => v.actual === a && v.predicted === p)!;
    expect(cell('z', 'a')).toEqual({ actual: 'z', predicted: 'a', count: 1, rate: 1 / 26 });
    expect(cell('e', 'e').rate).toBeCloseTo(4 / 5, 12);
    for (const a of labels) {
      const row = spec.data.values.filter((v) => v.actual === a);
      expect(row.reduce((s, v) => s + v.rate, 0)).toBeCloseTo(1, 12);
    }
  });

  it('draws every label up to 50 classes and refuses more', async () => {
    const svg = await confusionMatrixSvg(matrix, labels);
    for (const l of labels) expect(svg).toContain(`>${l}<`);
    const big = Array.from({ length: 51 }, (_, t) => Array.from({ length: 51 }, (_, p) => Number(p === t)));
    expect(() => confusionMatrixSpec(big)).toThrow(/at most 50 classes can be drawn legibly, got 51/);
  });
});
