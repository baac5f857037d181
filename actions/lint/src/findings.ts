/** ESLint, Prettier and tsc output, each turned into findings with a file and a line. */
import { relative, resolve } from 'node:path';

export interface Finding {
  tool: 'eslint' | 'prettier' | 'tsc';
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  column?: number;
  message: string;
}

interface EslintFile {
  filePath: string;
  messages: {
    line?: number;
    column?: number;
    severity: number;
    message: string;
    ruleId: string | null;
  }[];
}

export function eslintFindings(json: string, cwd: string): Finding[] {
  const files = JSON.parse(json) as EslintFile[];
  return files.flatMap((f) =>
    f.messages.map((m) => ({
      tool: 'eslint' as const,
      severity: m.severity === 2 ? ('error' as const) : ('warning' as const),
      file: relative(cwd, f.filePath),
      line: m.line,
      column: m.column,
      message: m.ruleId ? `${m.message} (${m.ruleId})` : m.message,
    })),
  );
}

/** `prettier --list-different` prints one unformatted file per line. */
export function prettierFindings(stdout: string): Finding[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((file) => ({
      tool: 'prettier' as const,
      severity: 'error' as const,
      file,
      message: 'not formatted as Prettier would (run `npx prettier --write` on it)',
    }));
}

const TSC_LINE = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/;

/** `tsc --pretty false`: `file(line,col): error TS1234: message`, continuation lines indented. */
export function tscFindings(stdout: string, cwd: string): Finding[] {
  const findings: Finding[] = [];
  for (const line of stdout.split('\n')) {
    const m = TSC_LINE.exec(line);
    if (m)
      findings.push({
        tool: 'tsc',
        severity: m[4] === 'error' ? 'error' : 'warning',
        file: relative(cwd, resolve(cwd, m[1]!)),
        line: Number(m[2]),
        column: Number(m[3]),
        message: `${m[6]} (${m[5]})`,
      });
    else if (line.startsWith('  ') && findings.length)
      findings[findings.length - 1]!.message += `\n${line.trim()}`;
  }
  return findings;
}
