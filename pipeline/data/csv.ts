/**
 * A CSV file's shape, checked before it is read: every row has one value per
 * header name, every quote is closed, and no two columns share a name. DuckDB's
 * reader, left to itself, falls back to reading a ragged file as one column
 * ("has no column "a"; its columns are "a,b,y"") and renames a duplicate
 * column (`a` → `a_1`); here its own error records (store_rejects) name the row.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { PipelineError } from '../errors.js';

const REJECTS = 'mlops_csv_rejects';
const SCANS = 'mlops_csv_scans';

const sql = (text: string) => `'${text.replaceAll("'", "''")}'`;

interface Dialect {
  delimiter: string;
  quote: string;
  escape: string;
  columns: number;
}

const HINT =
  'Each row needs one value per header name. Quote a value that holds the delimiter, a quote or a line break ("a, b"), doubling quotes inside it ("say ""hi"""); leave a missing value empty.';

/** The dialect DuckDB's sniffer finds in the first rows, looking past those that do not fit (store_rejects); the check then reads them all. */
async function sniff(conn: DuckDBConnection, path: string): Promise<Dialect | undefined> {
  try {
    const reader = await conn.runAndReadAll(
      `SELECT Delimiter, Quote, Escape, len(Columns) FROM sniff_csv(${sql(path)}, store_rejects = true)`,
    );
    const [delimiter, quote, escape, columns] = reader.getRowsJS()[0] as [
      string,
      string,
      string,
      bigint | number,
    ];
    // A file with no quotes sniffs as "(empty)": read it with the standard quote, so an unclosed one is found.
    const q = quote === '(empty)' || quote === '' ? '"' : quote;
    return {
      delimiter,
      quote: q,
      escape: escape === '(empty)' || escape === '' ? q : escape,
      columns: Number(columns),
    };
  } catch {
    return undefined; // not sniffable (empty, binary …): the read that follows says what is wrong
  }
}

function describeReject(
  label: string,
  line: number,
  type: string,
  message: string,
  more: number,
): PipelineError {
  // DuckDB counts records from 1 with the header first; a data row's number is one less.
  const row = line - 1;
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  const others = more > 0 ? ` (and ${more} more row${more === 1 ? '' : 's'})` : '';
  let what: string;
  if (counts && row === 0)
    what = `the header has ${counts[2]} names, but the rows have ${counts[1]} values`;
  else if (counts)
    what = `row ${row} has ${counts[2]} values, but the header has ${counts[1]} names${others}`;
  else if (/unterminated quote/i.test(message))
    what = `row ${row} opens a quote (") that is never closed${others}`;
  else what = `row ${row}: ${type.toLowerCase()}: ${message}${others}`;
  return new PipelineError('data', `${label}: ${what}`, { hint: HINT });
}

export async function checkCsv(conn: DuckDBConnection, path: string, label: string): Promise<void> {
  const dialect = await sniff(conn, path);
  if (!dialect) return;
  const columns = Array.from(
    { length: dialect.columns },
    (_, i) => `${sql(`c${i}`)}: 'VARCHAR'`,
  ).join(', ');
  const from = (extra: string) =>
    `read_csv(${sql(path)}, auto_detect = false, header = false, delim = ${sql(dialect.delimiter)}, quote = ${sql(dialect.quote)}, escape = ${sql(dialect.escape)}, columns = {${columns}}, strict_mode = true${extra})`;
  const drop = `DROP TABLE IF EXISTS ${REJECTS}; DROP TABLE IF EXISTS ${SCANS}`;
  let rejects: unknown[][];
  try {
    await conn.run(drop);
    await conn.run(
      `SELECT count(*) FROM ${from(`, store_rejects = true, rejects_table = ${sql(REJECTS)}, rejects_scan = ${sql(SCANS)}`)}`,
    );
    rejects = (
      await conn.runAndReadAll(
        `SELECT line, error_type, error_message, (SELECT count(DISTINCT line) FROM ${REJECTS}) FROM ${REJECTS} ORDER BY line LIMIT 1`,
      )
    ).getRowsJS();
  } catch {
    return; // the read that follows says what is wrong
  } finally {
    await conn.run(drop).catch(() => undefined);
  }
  if (rejects.length) {
    const [line, type, message, total] = rejects[0] as [bigint, string, string, bigint];
    throw describeReject(label, Number(line), String(type), String(message), Number(total) - 1);
  }
  await checkHeader(conn, from(''), label);
}

/** Two columns with one name: DuckDB would rename the second, and the config could only ever name the first. */
async function checkHeader(conn: DuckDBConnection, from: string, label: string): Promise<void> {
  const header = (await conn.runAndReadAll(`SELECT * FROM ${from} LIMIT 1`)).getRowsJS()[0] ?? [];
  const seen = new Map<string, number>();
  header.forEach((cell, i) => {
    const name = String(cell ?? '');
    if (name === '') return; // DuckDB names an unnamed column itself (column0 …)
    // DuckDB compares column names without case.
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const firstName = String(header[first]);
    throw new PipelineError(
      'data',
      firstName === name
        ? `${label}: the header names column "${name}" twice (columns ${first + 1} and ${i + 1})`
        : `${label}: the header names columns "${firstName}" (column ${first + 1}) and "${name}" (column ${i + 1}), names that differ only in case are one name to DuckDB`,
      { hint: 'Give every column its own name.' },
    );
  });
}
