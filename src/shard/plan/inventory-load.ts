import { loadYaml, validate } from '../../core/config-load.js';
import { inventorySchema, type Inventory } from './inventory-schema.js';

/** Reads and validates an inventory file (YAML or JSON); errors name the field. Frozen. */
export function loadInventory(file: string): Promise<Inventory> {
  return loadYaml(inventorySchema, file);
}

/** Validates an already-parsed inventory document (a generator's output, a test table). */
export function validateInventory(doc: unknown, source = 'inventory'): Inventory {
  return validate(inventorySchema, doc, source);
}
