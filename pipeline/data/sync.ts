/**
 * `mlops data push` and `pull`: the objects of the named pointers (a directory's
 * `.dir` object first, then its files) between the cache and the remote, then,
 * for pull, the data checked out into the workspace. A DVC 2 pointer's objects
 * move in the legacy layout at both ends, where DVC 3 pushes and pulls them.
 */
import { relative } from 'node:path';
import { pickRemote } from './dvc/config.js';
import type { Pointer } from './dvc/pointer.js';
import {
  checkout,
  dirEntries,
  objectsOf,
  openScratch,
  outputPath,
  removeStaleTemps,
  type Workspace,
} from './dvc/workspace.js';
import { openStore, type RemoteAccess } from './remote/open.js';
import { pullObjects, pushObjects, type TransferOptions } from './remote/transfer.js';

export interface SyncOptions extends TransferOptions {
  /** A remote name from .dvc/config; default: [core] remote, or the pointer's own `remote:`. */
  remote?: string;
  access?: RemoteAccess;
  /** pull: overwrite workspace data that differs from its pointer. */
  force?: boolean;
}

export interface SyncResult {
  remote: string;
  transferred: number;
  skipped: number;
  /** pull: the data paths written into the workspace. */
  written: string[];
}

function storeFor(ws: Workspace, pointer: Pointer, options: SyncOptions) {
  const name =
    options.remote ??
    (typeof pointer.out['remote'] === 'string' ? pointer.out['remote'] : undefined);
  return openStore(pickRemote(ws.config, name), options.access);
}

export async function pushData(
  ws: Workspace,
  pointers: readonly Pointer[],
  options: SyncOptions = {},
): Promise<SyncResult> {
  let transferred = 0;
  let skipped = 0;
  let label = '';
  for (const pointer of pointers) {
    const store = storeFor(ws, pointer, options);
    label = store.url;
    const result = await pushObjects(ws.cache, store, await objectsOf(ws, pointer), options);
    transferred += result.transferred.length;
    skipped += result.skipped.length;
  }
  return { remote: label, transferred, skipped, written: [] };
}

export async function pullData(
  ws: Workspace,
  pointers: readonly Pointer[],
  options: SyncOptions = {},
): Promise<SyncResult> {
  let transferred = 0;
  let skipped = 0;
  let label = '';
  const written: string[] = [];
  // Every pointer's path is checked before anything is fetched: a bad one stops the pull with nothing written.
  for (const pointer of pointers) await outputPath(ws, pointer);
  await removeStaleTemps(ws, pointers);
  for (const pointer of pointers) {
    const store = storeFor(ws, pointer, options);
    label = store.url;
    const kind = pointer.kind;
    const top = await pullObjects(ws.cache, store, { kind, oids: [pointer.out.md5] }, options);
    transferred += top.transferred.length;
    skipped += top.skipped.length;
    if (pointer.out.md5.endsWith('.dir')) {
      const entries = await dirEntries(ws, pointer);
      const inner = await pullObjects(
        ws.cache,
        store,
        { kind, oids: entries.map((e) => e.md5) },
        options,
      );
      transferred += inner.transferred.length;
      skipped += inner.skipped.length;
    }
  }
  const scratch = await openScratch(ws);
  try {
    for (const pointer of pointers)
      if (
        (await checkout(ws, pointer, { force: options.force, scratch: scratch.dir })) === 'written'
      )
        written.push(relative(ws.root, pointer.dataPath));
  } finally {
    await scratch.close();
  }
  return { remote: label, transferred, skipped, written };
}
