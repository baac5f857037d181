/**
 * Train / validation / test split, the same on every machine for a seed.
 * With an id column each row is placed by a hash of its id, so adding rows later
 * never moves an old row into another split; otherwise a seeded shuffle,
 * stratified by class for classification.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import { PipelineError } from '../errors.js';

export interface SplitConfig {
  test: number;
  validation: number;
  seed: number;
}

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

export function splitRows(
  rowCount: number,
  config: SplitConfig,
  options: { ids?: readonly (string | null)[]; strata?: readonly (string | null)[] } = {},
): Split {
  const split = options.ids
    ? splitByIdHash(options.ids, config)
    : splitByShuffle(rowCount, config, options.strata);
  for (const name of ['train', 'validation', 'test'] as const) {
    if (split[name].length === 0)
      throw new PipelineError(
        'data',
        `the ${name} split is empty (${rowCount} rows, test ${config.test}, validation ${config.validation})`,
        { hint: 'Use more rows or change split.test and split.validation in mlops.yaml.' },
      );
  }
  return split;
}

function splitByIdHash(
  ids: readonly (string | null)[],
  { test, validation, seed }: SplitConfig,
): Split {
  const parts: number[][] = [[], [], []];
  ids.forEach((id, i) => {
    const digest = createHash('md5')
      .update(`${seed}:${id ?? ''}`)
      .digest();
    const u = digest.readUInt32BE(0) / 2 ** 32;
    parts[u < test ? 2 : u < test + validation ? 1 : 0]!.push(i);
  });
  return {
    train: Int32Array.from(parts[0]!),
    validation: Int32Array.from(parts[1]!),
    test: Int32Array.from(parts[2]!),
  };
}

function splitByShuffle(
  rowCount: number,
  { test, validation, seed }: SplitConfig,
  strata?: readonly (string | null)[],
): Split {
  const random = seedrandom.alea(`split:${seed}`);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < rowCount; i++) {
    const key = strata ? String(strata[i]) : '';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  }
  const train: number[] = [];
  const val: number[] = [];
  const tst: number[] = [];
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!;
    shuffleInPlace(rows, random);
    const nTest = Math.round(rows.length * test);
    const nVal = Math.round(rows.length * validation);
    tst.push(...rows.slice(0, nTest));
    val.push(...rows.slice(nTest, nTest + nVal));
    train.push(...rows.slice(nTest + nVal));
  }
  const sorted = (xs: number[]) => Int32Array.from(xs.sort((a, b) => a - b));
  return { train: sorted(train), validation: sorted(val), test: sorted(tst) };
}

/** Fisher–Yates with the given generator. */
export function shuffleInPlace<T>(items: T[] | Int32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}
