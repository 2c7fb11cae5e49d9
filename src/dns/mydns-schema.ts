/**
 * The MyDNS tables as dbfleet needs them, as data. `soa` and `rr` keep MyDNS's own columns (so a
 * real MyDNS server can keep serving the same database) plus `rr.weight`; `dbfleet_name`,
 * `dbfleet_audit` and `dbfleet_drain` are dbfleet's own. Column definitions double as the ALTER TABLE ... ADD COLUMN
 * text for upgrading an existing MyDNS database, so every added column has a default that keeps
 * existing rows answered exactly as before (weight 100, active 'Y').
 */
export interface ColumnDef {
  name: string;
  definition: string;
  /**
   * May be added to an existing table. MyDNS's core columns (id, origin, zone, name, data, ...)
   * are never added: a table without them is not a MyDNS table, and init refuses to guess.
   */
  addable?: boolean;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  /** Table-level clauses after the columns (keys). */
  keys: string[];
  /** Indexes to add when upgrading a table that lacks them: [index name, column list]. */
  indexes: [string, string][];
}

export const SOA_TABLE: TableDef = {
  name: 'soa',
  columns: [
    { name: 'id', definition: 'INT UNSIGNED NOT NULL AUTO_INCREMENT' },
    { name: 'origin', definition: 'CHAR(255) NOT NULL' },
    { name: 'ns', definition: 'CHAR(255) NOT NULL' },
    { name: 'mbox', definition: 'CHAR(255) NOT NULL' },
    { name: 'serial', definition: "INT UNSIGNED NOT NULL DEFAULT '1'" },
    { name: 'refresh', definition: "INT UNSIGNED NOT NULL DEFAULT '28800'" },
    { name: 'retry', definition: "INT UNSIGNED NOT NULL DEFAULT '7200'" },
    { name: 'expire', definition: "INT UNSIGNED NOT NULL DEFAULT '604800'" },
    { name: 'minimum', definition: "INT UNSIGNED NOT NULL DEFAULT '86400'" },
    { name: 'ttl', definition: "INT UNSIGNED NOT NULL DEFAULT '86400'" },
    { name: 'active', definition: "ENUM('Y','N') NOT NULL DEFAULT 'Y'", addable: true },
    { name: 'xfer', definition: "CHAR(255) NOT NULL DEFAULT ''", addable: true },
  ],
  keys: ['PRIMARY KEY (id)', 'UNIQUE KEY origin (origin)'],
  indexes: [],
};

export const RR_TABLE: TableDef = {
  name: 'rr',
  columns: [
    { name: 'id', definition: 'INT UNSIGNED NOT NULL AUTO_INCREMENT' },
    { name: 'zone', definition: 'INT UNSIGNED NOT NULL' },
    { name: 'name', definition: 'CHAR(64) NOT NULL' },
    { name: 'type', definition: "ENUM('A','AAAA','CNAME','HINFO','MX','NAPTR','NS','PTR','RP','SRV','TXT')" },
    { name: 'data', definition: 'CHAR(128) NOT NULL' },
    { name: 'aux', definition: "INT UNSIGNED NOT NULL DEFAULT '0'" },
    { name: 'ttl', definition: "INT UNSIGNED NOT NULL DEFAULT '86400'" },
    { name: 'active', definition: "ENUM('Y','N') NOT NULL DEFAULT 'Y'", addable: true },
    { name: 'weight', definition: "INT UNSIGNED NOT NULL DEFAULT '100'", addable: true },
  ],
  keys: ['PRIMARY KEY (id)', 'UNIQUE KEY rr (zone,name,type,data)', 'KEY zone (zone)'],
  // PowerDNS and the resolver look records up by (zone, name); MyDNS's unique key serves that,
  // and a hand-made table without it gets this one.
  indexes: [['dbfleet_zone_name', 'zone,name']],
};

export const NAME_TABLE: TableDef = {
  name: 'dbfleet_name',
  columns: [
    { name: 'zone', definition: 'INT UNSIGNED NOT NULL' },
    { name: 'name', definition: 'CHAR(64) NOT NULL' },
    { name: 'role', definition: "ENUM('writer','reader') NOT NULL" },
  ],
  keys: ['PRIMARY KEY (zone,name)'],
  indexes: [],
};

export const AUDIT_TABLE: TableDef = {
  name: 'dbfleet_audit',
  columns: [
    { name: 'id', definition: 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT' },
    { name: 'change_id', definition: 'CHAR(36) NOT NULL' },
    { name: 'zone', definition: 'INT UNSIGNED NOT NULL' },
    { name: 'at', definition: 'DATETIME(3) NOT NULL' },
    { name: 'actor', definition: 'VARCHAR(128) NOT NULL' },
    { name: 'name', definition: 'CHAR(64) NOT NULL' },
    { name: 'op', definition: 'VARCHAR(32) NOT NULL' },
    { name: 'summary', definition: 'VARCHAR(512) NOT NULL' },
    { name: 'before_state', definition: 'TEXT NOT NULL' },
    { name: 'after_state', definition: 'TEXT NOT NULL' },
    { name: 'why', definition: 'VARCHAR(1024) NOT NULL' },
    { name: 'serial', definition: 'INT UNSIGNED NOT NULL' },
  ],
  keys: ['PRIMARY KEY (id)', 'KEY zone_name (zone,name,id)', 'KEY change_id (change_id)'],
  indexes: [],
};

/**
 * Operator drains: an address held at weight 0 under a name until the operator undrains it. The
 * failover checker reads these rows and never restores a drained address (src/dns/drains.ts).
 */
export const DRAIN_TABLE: TableDef = {
  name: 'dbfleet_drain',
  columns: [
    { name: 'zone', definition: 'INT UNSIGNED NOT NULL' },
    { name: 'name', definition: 'CHAR(64) NOT NULL' },
    // an IPv6 address in text is at most 45 characters
    { name: 'address', definition: 'VARCHAR(45) NOT NULL' },
    { name: 'reason', definition: "VARCHAR(512) NOT NULL DEFAULT ''" },
    { name: 'actor', definition: "VARCHAR(128) NOT NULL DEFAULT ''" },
    { name: 'created_at', definition: 'DATETIME(3) NOT NULL' },
  ],
  keys: ['PRIMARY KEY (zone,name,address)'],
  indexes: [],
};

export const ALL_TABLES: readonly TableDef[] = [SOA_TABLE, RR_TABLE, NAME_TABLE, AUDIT_TABLE, DRAIN_TABLE];

/** CREATE TABLE text for a table that does not exist. InnoDB: the store needs transactions and row locks. */
export function createTableSql(t: TableDef): string {
  const lines = [...t.columns.map((c) => `  ${c.name} ${c.definition}`), ...t.keys.map((k) => `  ${k}`)];
  return `CREATE TABLE ${t.name} (\n${lines.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/** ALTER TABLE text that adds one missing column of an existing table. */
export function addColumnSql(t: TableDef, c: ColumnDef): string {
  return `ALTER TABLE ${t.name} ADD COLUMN ${c.name} ${c.definition}`;
}
