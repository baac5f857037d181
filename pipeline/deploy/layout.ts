/** Where things are under a host's release root. */
export interface Layout {
  base: string;
  releases: string;
  current: string;
  lock: string;
}

export function layoutOf(base: string): Layout {
  const root = base.replace(/\/+$/, '') || '/';
  const join = (name: string) => (root === '/' ? `/${name}` : `${root}/${name}`);
  return {
    base: root,
    releases: join('releases'),
    current: join('current'),
    lock: join('.deploy.lock'),
  };
}

export function releaseDir(layout: Layout, version: string): string {
  return `${layout.releases}/${version}`;
}
