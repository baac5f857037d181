/**
 * The answers kept for feedback stay within their bound in rows, forget ids
 * older than the window, and an id answered again holds the newer answer.
 */
import { expect, it } from 'vitest';
import { AnswerStore } from '../../pipeline/monitor/answers.js';
import { BucketRing } from '../../pipeline/monitor/ring.js';

const one = [{ value: 1 }];

it('keeps at most maxRows predicted rows, dropping the oldest requests first', () => {
  const store = new AnswerStore(5, 60_000);
  for (let i = 0; i < 5; i++) store.add(`a${i}`, 'v', one, false);
  store.add('batch', 'v', [{ value: 1 }, { value: 2 }, { value: 3 }], true);
  expect(['a0', 'a1', 'a2'].map((id) => store.get(id).found)).toEqual([false, false, false]);
  expect(['a3', 'a4', 'batch'].map((id) => store.get(id).found)).toEqual([true, true, true]);
  for (let i = 0; i < 1000; i++) store.add(`b${i}`, 'v', one, false);
  expect(store.get('b994').found).toBe(false);
  expect(['b995', 'b999'].map((id) => store.get(id).found)).toEqual([true, true]);
});

it('an id answered again holds the newer answer, and its old slot does not evict it', () => {
  const store = new AnswerStore(3, 60_000);
  store.add('x', 'old', one, false);
  store.add('y', 'v', one, false);
  store.add('x', 'new', one, false);
  store.add('z', 'v', one, false);
  const x = store.get('x');
  expect(x.found && x.answer.version).toBe('new');
  expect(store.get('y').found).toBe(true);
});

it('keeps what feedback scores: the label or the value of each row, the batch flag, whether it was scored', () => {
  const store = new AnswerStore(10, 60_000);
  store.add('one', 'v', [{ label: 'Adelie', probabilities: { Adelie: 0.9, Gentoo: 0.1 } }], false);
  store.add('batch1', 'v', [{ value: 2.5 }], true);
  store.add('batch', 'v', [{ value: 1.5 }, { value: -3 }], true);
  const read = (id: string) => {
    const lookup = store.get(id);
    return lookup.found ? lookup.answer : undefined;
  };
  expect(read('one')).toMatchObject({ predicted: ['Adelie'], batch: false, scored: false });
  expect(read('batch1')).toMatchObject({ predicted: [2.5], batch: true });
  expect(read('batch')).toMatchObject({ predicted: [1.5, -3], batch: true });
  store.score('batch');
  expect(read('batch')?.scored).toBe(true);
  expect(read('one')?.scored).toBe(false);
  // A slot used again starts unscored, with its own rows.
  for (let i = 0; i < 10; i++) store.add(`r${i}`, 'w', [{ value: i }], false);
  expect(read('batch')).toBeUndefined();
  expect(read('r9')).toMatchObject({ version: 'w', predicted: [9], batch: false, scored: false });
});

it('forgets an id older than the window', () => {
  let now = 0;
  const store = new AnswerStore(10, 1000, () => now);
  store.add('x', 'v', one, false);
  now = 1000;
  expect(store.get('x').found).toBe(true);
  now = 1001;
  expect(store.get('x')).toEqual({ found: false, reason: 'expired' });
  expect(store.get('x')).toEqual({ found: false, reason: 'unknown' });
});

it('the bucket ring drops counts as the clock moves past them', () => {
  let now = 0;
  const ring = new BucketRing(2, { windowMs: 3000, buckets: 3, now: () => now });
  ring.data[ring.current()]! += 1;
  now = 1000;
  ring.data[ring.current() + 1]! += 5;
  expect(Array.from(ring.totals())).toEqual([1, 5]);
  now = 3000;
  expect(Array.from(ring.totals())).toEqual([0, 5]);
  now = 60_000;
  expect(Array.from(ring.totals())).toEqual([0, 0]);
});
