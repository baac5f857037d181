/** Vitest's JSON report, reduced to the counts and the failures with their file and line. */
export interface TestFailure {
  file: string;
  name: string;
  line?: number;
  column?: number;
  message: string;
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Test files that failed to load or run at all. */
  brokenFiles: number;
}

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: {
      fullName: string;
      status: string;
      failureMessages: string[] | null;
      location?: { line: number; column: number } | null;
    }[];
  }[];
}

/** The first line of a failure message, where the assertion says what went wrong. */
function headline(messages: readonly string[] | null | undefined): string {
  const text = (messages ?? []).join('\n');
  return (
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? 'failed'
  );
}

/** The line of the failing assertion: the stack frame in the test file, else where the test starts. */
function failureLine(
  file: string,
  messages: readonly string[] | null | undefined,
  location: { line: number; column: number } | null | undefined,
): { line?: number; column?: number } {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The file name is escaped above, so it matches only itself.
  // eslint-disable-next-line security/detect-non-literal-regexp
  const frame = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec((messages ?? []).join('\n'));
  if (frame) return { line: Number(frame[1]), column: Number(frame[2]) };
  return { line: location?.line, column: location?.column };
}

export function readResults(json: string): { counts: TestCounts; failures: TestFailure[] } {
  const r = JSON.parse(json) as VitestJson;
  const failures: TestFailure[] = [];
  let brokenFiles = 0;
  for (const file of r.testResults) {
    const failed = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failed)
      failures.push({
        file: file.name,
        name: a.fullName,
        ...failureLine(file.name, a.failureMessages, a.location),
        message: headline(a.failureMessages),
      });
    if (file.status === 'failed' && !failed.length) {
      brokenFiles++;
      failures.push({ file: file.name, name: file.name, message: headline([file.message ?? '']) });
    }
  }
  return {
    counts: {
      total: r.numTotalTests,
      passed: r.numPassedTests,
      failed: r.numFailedTests,
      skipped: r.numPendingTests + r.numTodoTests,
      brokenFiles,
    },
    failures,
  };
}
