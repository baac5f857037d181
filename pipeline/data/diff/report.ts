/** The data-changes section for a run: the pointer now against the pointer at a git revision. */
import { relative, resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import type { ReportSection } from '../../report/markdown.js';
import { readPointer } from '../dvc/pointer.js';
import { formatOf } from '../load.js';
import type { RemoteAccess } from '../remote/open.js';
import { compareData } from './compare.js';
import { objectFile, pointerAtRevision } from './revision.js';
import { dataChangesSection, unchangedSection } from './section.js';

export async function dataChangesAgainst(
  { config, dir }: LoadedConfig,
  rev: string,
  access: RemoteAccess = {},
): Promise<ReportSection> {
  const pointerFile = resolve(dir, config.data.pointer);
  const now = await readPointer(pointerFile);
  const then = await pointerAtRevision(pointerFile, rev);
  if (now.out.md5 === then.out.md5) return unchangedSection(rev, now.out.md5);
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
  return dataChangesSection(changes, rev);
}
