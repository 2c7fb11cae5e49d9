/**
 * gmysql query overrides that make PowerDNS Authoritative 4.7 serve straight from the MyDNS
 * tables. Pure text. Rules kept here:
 * - every override binds the same number of `?` as PowerDNS's default for that setting, in the
 *   same order (PowerDNS binds positionally); a one-row derived table `p` names the parameters
 *   once so the query can use them several times without adding placeholders;
 * - only rows with weight > 0 and active <> 'N' (in both rr and soa) are answered;
 * - rr.ttl is served as the TTL, as stored (MyDNS would raise it to soa.minimum; PowerDNS does not);
 * - the zone apex's SOA comes from the soa table; names in rr may be relative (MyDNS's
 *   convention), absolute with a trailing dot, or '' for the apex.
 * Queries avoid backslashes and line breaks: pdns.conf treats a trailing backslash as a
 * continuation and each setting is one line.
 */

/** How many `?` each overridden query has in PowerDNS 4.7's defaults (`pdns_server --config=default --launch=gmysql`). */
export const DEFAULT_PARAM_COUNTS: Readonly<Record<string, number>> = {
  'basic-query': 2,
  'id-query': 3,
  'any-query': 1,
  'any-id-query': 2,
  'list-query': 2,
  'list-subzone-query': 3,
  'info-zone-query': 1,
  'get-all-domains-query': 1,
  'info-all-master-query': 0,
  'info-all-slaves-query': 0,
  'search-records-query': 3,
  'get-all-domain-metadata-query': 1,
  'get-domain-metadata-query': 2,
};

const ORIGIN = "TRIM(TRAILING '.' FROM s.origin)";
const ABS = (x: string): string => `IF(RIGHT(${x}, 1) = '.', ${x}, CONCAT(${x}, '.', s.origin))`;

/** The SOA record's content: primary NS, mailbox (an '@' becomes '.'), serial and timers. */
const SOA_CONTENT = `CONCAT_WS(' ', ${ABS('s.ns')}, REPLACE(${ABS('s.mbox')}, '@', '.'), s.serial, s.refresh, s.retry, s.expire, s.minimum)`;

/**
 * A record's content as PowerDNS wants it: names in CNAME/MX/NS/PTR made absolute (MyDNS allows
 * them relative to the zone), TXT quoted, everything else as stored. CHAR(34) is a double quote
 * and CHAR(92) a backslash, to keep the text free of characters pdns.conf would interpret.
 */
const RR_CONTENT = [
  'CASE',
  `WHEN r.type IN ('CNAME', 'MX', 'NS', 'PTR') THEN ${ABS('r.data')}`,
  "WHEN r.type = 'TXT' THEN CONCAT(CHAR(34), REPLACE(r.data, CHAR(34), CONCAT(CHAR(92), CHAR(34))), CHAR(34))",
  'ELSE r.data END',
].join(' ');

/** The record's absolute name without the trailing dot (PowerDNS's form). */
const RR_FQDN = `CASE WHEN r.name = '' THEN ${ORIGIN} WHEN RIGHT(r.name, 1) = '.' THEN TRIM(TRAILING '.' FROM r.name) ELSE CONCAT(r.name, '.', ${ORIGIN}) END`;

const ANSWERABLE_RR = "r.active <> 'N' AND r.weight > 0";
const ACTIVE_SOA = "s.active <> 'N'";

/** p.qname is inside zone s (the apex or below it). */
const IN_ZONE = `(p.qname = ${ORIGIN} OR RIGHT(p.qname, CHAR_LENGTH(${ORIGIN}) + 1) = CONCAT('.', ${ORIGIN}))`;
/** p.qname as MyDNS may have stored it in rr.name: relative, '' for the apex, or absolute with a dot. */
const STORED_NAMES = `(IF(p.qname = ${ORIGIN}, '', LEFT(p.qname, CHAR_LENGTH(p.qname) - CHAR_LENGTH(${ORIGIN}) - 1)), CONCAT(p.qname, '.'))`;

const COLUMNS = 'content, ttl, prio, type, domain_id, disabled, name, auth';

/** The columns both queries share: the SOA row and rr rows as PowerDNS wants them. */
function recordColumns(): string[] {
  return [
    `IF(k.is_soa = 1, ${SOA_CONTENT}, ${RR_CONTENT}) AS content,`,
    'IF(k.is_soa = 1, s.ttl, r.ttl) AS ttl,',
    'IF(k.is_soa = 1, 0, r.aux) AS prio,',
    "IF(k.is_soa = 1, 'SOA', r.type) AS type,",
  ];
}

/**
 * A lookup of one name. `params` is the derived table's select list, in PowerDNS's bind order;
 * it must define qtype and qname, and zone_id when `byZone`. One row per answer: the SOA (when
 * asked for at the apex) and the rr rows, joined against a two-row constant so that a single
 * statement (no UNION, so the parameters appear once) returns both kinds.
 */
function lookup(params: string, byZone: boolean): string {
  const zoneFilter = byZone ? ' AND s.id = p.zone_id' : '';
  return [
    'SELECT',
    ...recordColumns(),
    's.id AS domain_id, 0 AS disabled, p.qname AS name, 1 AS auth',
    `FROM (SELECT ${params}) p`,
    `JOIN soa s ON ${ACTIVE_SOA}${zoneFilter} AND ${IN_ZONE}`,
    'JOIN (SELECT 1 AS is_soa UNION ALL SELECT 0) k',
    `LEFT JOIN rr r ON k.is_soa = 0 AND r.zone = s.id AND r.name IN ${STORED_NAMES} AND ${ANSWERABLE_RR} AND (p.qtype = 'ANY' OR r.type = p.qtype)`,
    `WHERE (k.is_soa = 1 AND p.qname = ${ORIGIN} AND p.qtype IN ('SOA', 'ANY')) OR (k.is_soa = 0 AND r.id IS NOT NULL)`,
  ].join(' ');
}

/** Every answerable record of a zone (AXFR, rectify): the SOA first, then rr. */
function listing(params: string, extraRrFilter: string): string {
  return [
    'SELECT',
    ...recordColumns(),
    `s.id AS domain_id, 0 AS disabled, IF(k.is_soa = 1, ${ORIGIN}, ${RR_FQDN}) AS name, 1 AS auth`,
    `FROM (SELECT ${params}) p`,
    `JOIN soa s ON s.id = p.zone_id AND ${ACTIVE_SOA}`,
    'JOIN (SELECT 1 AS is_soa UNION ALL SELECT 0) k',
    `LEFT JOIN rr r ON k.is_soa = 0 AND r.zone = s.id AND ${ANSWERABLE_RR}${extraRrFilter}`,
    'WHERE k.is_soa = 1 OR r.id IS NOT NULL',
    'ORDER BY k.is_soa DESC, name, type',
  ].join(' ');
}

/** Zone metadata from soa: every MyDNS zone is a NATIVE zone (served from the database, no transfers). */
const ZONE_INFO = `SELECT s.id, ${ORIGIN} AS name, '' AS master, 0 AS last_check, s.serial AS notified_serial, 'NATIVE' AS type, '' AS options, '' AS catalog, '' AS account`;

export function pdnsQueryOverrides(): Record<string, string> {
  return {
    'basic-query': lookup('? AS qtype, ? AS qname', false),
    'id-query': lookup('? AS qtype, ? AS qname, ? AS zone_id', true),
    'any-query': lookup("'ANY' AS qtype, ? AS qname", false),
    'any-id-query': lookup("'ANY' AS qtype, ? AS qname, ? AS zone_id", true),
    // (disabled=0 OR ?): disabled rows are never listed here, whatever the flag says
    'list-query': listing('? AS include_disabled, ? AS zone_id', ''),
    'list-subzone-query': listing('? AS qname, ? AS qlike, ? AS zone_id', ` AND (${RR_FQDN} = p.qname OR ${RR_FQDN} LIKE p.qlike)`),
    'info-zone-query': `${ZONE_INFO} FROM soa s WHERE ${ORIGIN} = ? AND ${ACTIVE_SOA}`,
    'get-all-domains-query': `SELECT s.id, ${ORIGIN} AS name, ${SOA_CONTENT} AS content, 'NATIVE' AS type, '' AS master, s.serial AS notified_serial, 0 AS last_check, '' AS account FROM (SELECT ? AS include_disabled) p JOIN soa s ON ${ACTIVE_SOA} OR p.include_disabled`,
    // MyDNS zones are neither primaries that notify nor secondaries that transfer
    'info-all-master-query': `SELECT s.id, ${ORIGIN} AS name, 'MASTER' AS type, s.serial AS notified_serial, '' AS options, '' AS catalog, ${SOA_CONTENT} AS content FROM soa s WHERE 1 = 0`,
    'info-all-slaves-query': `SELECT s.id, ${ORIGIN} AS name, 'SLAVE' AS type, '' AS master, 0 AS last_check, ${SOA_CONTENT} AS content FROM soa s WHERE 1 = 0`,
    // PowerDNS reads per-zone metadata (SOA-EDIT, ...) on every lookup, DNSSEC or not; MyDNS zones have none
    'get-all-domain-metadata-query': "SELECT p.kind, p.content FROM (SELECT ? AS qname, '' AS kind, '' AS content) p WHERE 1 = 0",
    'get-domain-metadata-query': "SELECT p.content FROM (SELECT ? AS qname, ? AS kind, '' AS content) p WHERE 1 = 0",
    // record search (API only) is not offered over MyDNS tables: an empty answer, same binds
    'search-records-query': `SELECT ${COLUMNS} FROM (SELECT ? AS a, ? AS b, ? AS c, '' AS content, 0 AS ttl, 0 AS prio, 'A' AS type, 0 AS domain_id, 0 AS disabled, '' AS name, 1 AS auth) p WHERE 1 = 0`,
  };
}

/** Counts `?` placeholders outside string literals. */
export function countPlaceholders(sql: string): number {
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '?') {
      n += 1;
    }
  }
  return n;
}
