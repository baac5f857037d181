/**
 * The Python stacks our engine is measured against, each set up to run at its
 * best: Debian's scikit-learn (/usr/bin/python3) and the current scikit-learn,
 * PyTorch, FastAPI and uvicorn from PyPI in the pinned virtual environment of
 * bench/anchors/setup.sh.
 *
 * Debian's OpenBLAS takes this kind of virtual CPU for a "Prescott" and runs
 * its GEMM about 3× slower than with the CPU's own kernel, so every anchor's
 * process gets OPENBLAS_CORETYPE for the kernel the CPU flags allow, unless the
 * caller set it.
 */
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, run } from './system.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const VENV = process.env.MLOPS_BENCH_VENV ?? join(homedir(), '.cache/mlops-bench/venv');
const VENV_PYTHON = join(VENV, 'bin', 'python');

/** The OpenBLAS kernel for this CPU's flags: AVX-512 → SkylakeX, AVX2 → Haswell, else none. */
export async function detectOpenblasCoretype(): Promise<string | undefined> {
  let cpuinfo: string;
  try {
    cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/));
  if (flags.has('avx512f')) return 'SkylakeX';
  if (flags.has('avx2')) return 'Haswell';
  return undefined;
}

export interface AnchorEnv {
  env: NodeJS.ProcessEnv;
  /** What OPENBLAS_CORETYPE is and where it came from, for the table header. */
  coretype: string;
}

/** The environment every anchor process runs with. */
export async function anchorEnv(): Promise<AnchorEnv> {
  const own = process.env.OPENBLAS_CORETYPE;
  if (own) return { env: process.env, coretype: `OPENBLAS_CORETYPE=${own} (set by the caller)` };
  const detected = await detectOpenblasCoretype();
  if (!detected)
    return { env: process.env, coretype: 'OPENBLAS_CORETYPE unset (no AVX2 in /proc/cpuinfo)' };
  return {
    env: { ...process.env, OPENBLAS_CORETYPE: detected },
    coretype: `OPENBLAS_CORETYPE=${detected} (from /proc/cpuinfo flags)`,
  };
}

/**
 * Create or update the pinned virtual environment (a no-op when it is current).
 * A failure (no network, no python3-venv) leaves the Debian anchors only, said on stderr.
 */
export async function ensureVenv(): Promise<boolean> {
  try {
    await run('sh', [here('../anchors/setup.sh')], {
      env: { ...process.env, MLOPS_BENCH_VENV: VENV },
    });
    return true;
  } catch (error) {
    process.stderr.write(
      `no PyPI anchors: bench/anchors/setup.sh failed: ${(error as Error).message.slice(0, 500)}\n`,
    );
    return false;
  }
}

/** The version of a module in that Python, or undefined when it does not import. */
export async function moduleVersion(python: string, module: string): Promise<string | undefined> {
  try {
    await access(python);
    const { stdout } = await run(python, ['-c', `import ${module}; print(${module}.__version__)`]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export interface Python {
  /** Where its packages come from: "Debian" or "PyPI". */
  source: 'Debian' | 'PyPI';
  python: string;
}

/** Debian's system Python, then the virtual environment's, whichever exist. */
export function pythons(): Python[] {
  return [
    { source: 'Debian', python: PYTHON },
    { source: 'PyPI', python: VENV_PYTHON },
  ];
}
