import { describe, expect, it } from 'vitest';
import { sampleRows } from '../../pipeline/bench/rows.js';
import { summarize } from '../../pipeline/bench/stats.js';
import { encodeRows, type Preprocess } from '../../pipeline/prepare/preprocess.js';

describe('summarize', () => {
  it('interpolates percentiles between ranks, whatever the order of the samples', () => {
    const samples = Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
    const s = summarize(samples);
    expect(s).toMatchObject({ samples: 101, p50_ms: 50, p95_ms: 95, p99_ms: 99, max_ms: 100 });
    expect(s.mean_ms).toBeCloseTo(50, 9);
    expect(summarize([2, 4]).p50_ms).toBe(3);
  });

  it('reports nothing measured as NaN rather than zero', () => {
    const s = summarize([]);
    expect(s.samples).toBe(0);
    expect(s.p99_ms).toBeNaN();
  });
});

describe('sampleRows', () => {
  const pre: Preprocess = {
    version: 1,
    features: [
      { name: 'size', type: 'numeric', mean: 10, std: 2 },
      { name: 'colour', type: 'categorical', categories: ['red', 'blue'] },
    ],
    optional: [],
    target: { task: 'regression', name: 'price', mean: 0, std: 1 },
    inputSize: 4,
  };

  it('makes rows the model accepts, the same for the same seed', () => {
    const rows = sampleRows(pre, 20, 3);
    expect(encodeRows(pre, rows).errors).toEqual([]);
    expect(rows.map((r) => r.colour)).toContain('blue');
    expect(sampleRows(pre, 20, 3)).toEqual(rows);
  });
});
