/** The data of a run against the data at a git revision: the pointer now against the pointer then. */
import { relative, resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import { readPointer } from '../dvc/pointer.js';
import { formatOf } from '../load.js';
import type { RemoteAccess } from '../remote/open.js';
import { compareData, type DataChanges } from './compare.js';
import { objectFile, pointerAtRevision } from './revision.js';

/** What changed since `rev`: nothing (the same md5), or the rows, schema and drift. */
export type DataChangesAgainst =
  { rev: string; same: true; md5: string } | { rev: string; same: false; changes: DataChanges };

export async function dataChangesAgainst(
  { config, dir }: LoadedConfig,
  rev: string,
  access: RemoteAccess = {},
): Promise<DataChangesAgainst> {
  const pointerFile = resolve(dir, config.data.pointer);
  const now = await readPointer(pointerFile);
  const then = await pointerAtRevision(pointerFile, rev);
  // The same digest of another hash kind (a DVC 2 pointer's md5-dos2unix) may be other bytes.
  if (now.out.md5 === then.out.md5 && now.kind === then.kind)
    return { rev, same: true, md5: now.out.md5 };
  const label = relative(dir, pointerFile);
  const baseLabel = `${label}@${rev}`;
  const basePath = await objectFile(then, baseLabel, access);
  const changes = await compareData(
    {
      label: baseLabel,
      path: basePath,
      format: formatOf(then.out.path, config.data.format),
      md5: then.out.md5,
    },
    {
      label: relative(dir, now.dataPath),
      path: now.dataPath,
      format: formatOf(now.dataPath, config.data.format),
      md5: now.out.md5,
    },
    config.data,
    config.model.task,
  );
  return { rev, same: false, changes };
}
