import type { AnswerState } from './types.js';
import type { ColumnSpec } from './wire.js';

/**
 * What a fake instance answers to a statement: a pure function of its role and flavour, so
 * answers can be encoded once and reused. It knows exactly the statements dbfleet's connect and
 * role probe send (VERSION_QUERY, `SELECT @@read_only AS ro`, `SELECT @@innodb_read_only AS ro`),
 * `SELECT 1`, and the general forms around them (`SELECT @@a [AS x], 1, ...`,
 * `SHOW [GLOBAL|SESSION] VARIABLES [LIKE '..' | WHERE Variable_name IN (..) | = '..']`).
 * Everything else is an ERR, never a made-up success: a checker that starts sending something new
 * must fail loudly against the stand-in rather than be measured on answers it never got.
 */

export type Reply =
  | { kind: 'rows'; columns: ColumnSpec[]; rows: (string | null)[][] }
  | { kind: 'error'; code: number; sqlState: string; message: string };

type Value = { type: 'bool'; value: boolean } | { type: 'string'; value: string };

const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
const ER_NOT_SUPPORTED_YET = 1235;

/** What each flavour reports as @@version, @@version_comment and (Aurora) @@aurora_version. */
export const FLAVOUR_VERSIONS = {
  'mysql-8.0': { version: '8.0.36', comment: 'MySQL Community Server - GPL', aurora: undefined },
  // Aurora MySQL 3.05.2 is MySQL 8.0.32-compatible; RDS builds report "Source distribution".
  'aurora-mysql-3': { version: '8.0.32', comment: 'Source distribution', aurora: '3.05.2' },
} as const;

/** The global variables an instance reports, by lower-case name. */
export function systemVariables(state: AnswerState): Map<string, Value> {
  const f = FLAVOUR_VERSIONS[state.flavour];
  const reader = state.role === 'reader';
  const vars = new Map<string, Value>([
    ['version', { type: 'string', value: f.version }],
    ['version_comment', { type: 'string', value: f.comment }],
  ]);
  if (f.aurora !== undefined) {
    vars.set('aurora_version', { type: 'string', value: f.aurora });
    // Aurora's role is innodb_read_only; read_only is a cluster parameter, 0 by default on every
    // instance, which is exactly why the Aurora dialect must not read it.
    vars.set('innodb_read_only', { type: 'bool', value: reader });
    vars.set('read_only', { type: 'bool', value: false });
    vars.set('super_read_only', { type: 'bool', value: false });
  } else {
    vars.set('innodb_read_only', { type: 'bool', value: false });
    vars.set('read_only', { type: 'bool', value: reader });
    vars.set('super_read_only', { type: 'bool', value: reader });
  }
  return vars;
}

export function normaliseSql(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '').replace(/\s+/g, ' ');
}

export function answer(sql: string, state: AnswerState): Reply {
  const text = normaliseSql(sql);
  const select = /^SELECT (.+?)(?: FROM DUAL)?$/i.exec(text);
  if (select?.[1] !== undefined) return selectItems(select[1], state) ?? unsupported(text);
  const show = /^SHOW (?:(?:GLOBAL|SESSION) )?VARIABLES(?: (.*))?$/i.exec(text);
  if (show) return showVariables(show[1], state) ?? unsupported(text);
  return unsupported(text);
}

function unsupported(text: string): Reply {
  const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return {
    kind: 'error',
    code: ER_NOT_SUPPORTED_YET,
    sqlState: '42000',
    message: `fake-mysql (a benchmark stand-in) does not support this statement: ${shown}`,
  };
}

const ITEM = /^(@@(?:(?:GLOBAL|SESSION|LOCAL)\.)?([A-Za-z_][A-Za-z0-9_]*)|-?\d+)(?: (?:AS )?(?:`([^`]+)`|'([^']*)'|([A-Za-z_][A-Za-z0-9_]*)))?$/i;

/** `SELECT @@x [AS a], 1, ...`: one row, one column per item; null when an item is not understood. */
function selectItems(list: string, state: AnswerState): Reply | null {
  const vars = systemVariables(state);
  const columns: ColumnSpec[] = [];
  const row: (string | null)[] = [];
  for (const raw of list.split(',')) {
    const item = raw.trim();
    const m = ITEM.exec(item);
    if (!m || m[1] === undefined) return null;
    const alias = m[3] ?? m[4] ?? m[5];
    const name = alias ?? m[1];
    const varName = m[2];
    if (varName === undefined) {
      columns.push({ name, type: 'integer' });
      row.push(String(Number(m[1])));
      continue;
    }
    const v = vars.get(varName.toLowerCase());
    if (!v) return { kind: 'error', code: ER_UNKNOWN_SYSTEM_VARIABLE, sqlState: 'HY000', message: `Unknown system variable '${varName}'` };
    columns.push({ name, type: v.type === 'bool' ? 'integer' : 'string' });
    row.push(v.type === 'bool' ? (v.value ? '1' : '0') : v.value);
  }
  return { kind: 'rows', columns, rows: [row] };
}

/** SHOW VARIABLES with no filter, LIKE, or WHERE Variable_name IN (...) / = '...'. */
function showVariables(filter: string | undefined, state: AnswerState): Reply | null {
  let keep: (name: string) => boolean;
  if (filter === undefined) {
    keep = () => true;
  } else {
    const like = /^LIKE '([^']*)'$/i.exec(filter);
    const inList = /^WHERE Variable_name IN ?\((.*)\)$/i.exec(filter);
    const equals = /^WHERE Variable_name ?= ?'([^']*)'$/i.exec(filter);
    if (like?.[1] !== undefined) {
      const pattern = new RegExp(`^${like[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'i');
      keep = (name) => pattern.test(name);
    } else if (inList?.[1] !== undefined) {
      const names = new Set<string>();
      for (const part of inList[1].split(',')) {
        const quoted = /^'([^']*)'$/.exec(part.trim());
        if (quoted?.[1] === undefined) return null;
        names.add(quoted[1].toLowerCase());
      }
      keep = (name) => names.has(name);
    } else if (equals?.[1] !== undefined) {
      const wanted = equals[1].toLowerCase();
      keep = (name) => name === wanted;
    } else {
      return null;
    }
  }
  const rows = [...systemVariables(state)]
    .filter(([name]) => keep(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, v]): (string | null)[] => [name, v.type === 'bool' ? (v.value ? 'ON' : 'OFF') : v.value]);
  return {
    kind: 'rows',
    columns: [
      { name: 'Variable_name', type: 'string' },
      { name: 'Value', type: 'string' },
    ],
    rows,
  };
}
