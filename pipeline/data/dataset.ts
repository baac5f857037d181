/**
 * The dataset a pipeline trains on: the file its DVC pointer names, checked
 * against the pointer's md5, loaded into typed columns and held to the contract.
 */
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { PipelineError } from '../errors.js';
import { hashFile } from './dvc/dos2unix.js';
import { checkClassGates } from './class-gates.js';
import { enforceContract, type ContractReport } from './contract.js';
import { readPointer, type Pointer } from './dvc/pointer.js';
import { openWorkspace } from './dvc/workspace.js';
import type { RemoteAccess } from './remote/open.js';
import { pullData } from './sync.js';
import { formatOf, loadTable, noRows, type ColumnRequest } from './load.js';
import { column, type DataFormat, type Table } from './table.js';

export interface DataSource {
  /** Path of the data file relative to the config folder. */
  path: string;
  /** Path of the pointer relative to the config folder. */
  pointer: string;
  md5: string;
  size: number;
  format: DataFormat;
  /** Rows in the file, before the contract and unlabelled rows took any out. */
  rowsRead: number;
}

export interface Dataset {
  table: Table;
  source: DataSource;
  contract: ContractReport;
  /** Sorted class labels (classification only). */
  classes: string[];
}

export interface ReadDatasetOptions {
  /** How to reach the remote when the data has to be pulled first. */
  remoteAccess?: RemoteAccess;
}

/** A fresh clone has the pointer but not the data: pull it, as `mlops data pull` would. */
async function pullMissing(
  pointer: Pointer,
  label: string,
  pointerName: string,
  access?: RemoteAccess,
): Promise<void> {
  try {
    const ws = await openWorkspace(dirname(pointer.file));
    await pullData(ws, [pointer], { access });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new PipelineError(
      'data',
      `${label}: missing (named by ${pointerName}), and pulling it failed: ${why}`,
      {
        hint: error instanceof PipelineError ? error.hint : 'Fetch it with `mlops data pull`.',
        cause: error,
      },
    );
  }
}

export async function readDataset(
  configured: LoadedConfig,
  options: ReadDatasetOptions = {},
): Promise<Dataset> {
  const { config, dir } = configured;
  const { data, model } = config;
  const pointerPath = resolve(dir, data.pointer);
  const pointer = await readPointer(pointerPath);
  const label = relative(dir, pointer.dataPath) || pointer.dataPath;
  const info = await stat(pointer.dataPath).catch(() => undefined);
  if (!info) await pullMissing(pointer, label, data.pointer, options.remoteAccess);
  const checked = info ?? (await stat(pointer.dataPath));
  if (!checked.isFile())
    throw new PipelineError('data', `${label}: is a directory; the pipeline reads one file`);
  const size = checked.size;
  const md5 = await hashFile(pointer.dataPath, pointer.kind);
  if (md5 !== pointer.out.md5) {
    throw new PipelineError(
      'data',
      `${label}: its md5 is ${md5} but ${data.pointer} records ${pointer.out.md5}`,
      {
        hint: `Record the new data with \`mlops data add ${label}\`, or restore it with \`mlops data pull\`.`,
      },
    );
  }
  const format = formatOf(pointer.dataPath, data.format);
  const requests: ColumnRequest[] = data.features.map((f) => ({ name: f.name, type: f.type }));
  requests.push({
    name: data.target,
    type: model.task === 'regression' ? 'numeric' : 'categorical',
  });
  if (data.id && !requests.some((r) => r.name === data.id))
    requests.push({ name: data.id, type: 'categorical' });
  const loaded = await loadTable(pointer.dataPath, format, requests, label);
  if (loaded.table.rowCount === 0) throw noRows(label);
  const { table, report } = enforceContract(
    loaded.table,
    data,
    model.task,
    loaded.typeViolations,
    label,
  );
  if (table.rowCount === 0)
    throw new PipelineError(
      'data',
      `${label}: no rows are left after the contract and unlabelled rows`,
    );

  let classes: string[] = [];
  if (model.task === 'classification') {
    const target = column(table, data.target);
    classes = [...new Set(target.values as (string | null)[])]
      .filter((c): c is string => c !== null)
      .sort();
    if (classes.length < 2)
      throw new PipelineError(
        'data',
        `${label}: target "${data.target}" has a single class (${JSON.stringify(classes[0])}); classification needs at least two`,
        { hint: 'Check the target column, or use task: regression for a numeric target.' },
      );
    checkClassGates(configured, classes);
  }
  return {
    table,
    source: {
      path: label,
      pointer: relative(dir, pointerPath),
      md5,
      size,
      format,
      rowsRead: loaded.table.rowCount,
    },
    contract: report,
    classes,
  };
}
