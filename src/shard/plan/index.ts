/** The consolidation planner's public entry point (pure: no I/O beyond reading the inventory). */
export { planConsolidation } from './planner.js';
export { loadInventory, validateInventory } from './inventory-load.js';
export { inventorySchema, type Inventory, type InventoryInput, type HostType, type ShardSpec, type Policy } from './inventory-schema.js';
export { lowerBound, type LowerBound } from './lower-bound.js';
export { copyDemand, usableCapacity, DIMS, type Dim } from './demand.js';
export { PlanInfeasibleError } from './plan-errors.js';
export { generateInventory, LOCAL_NVME_HOST_TYPES, TOKYO_AZS, type GenerateOptions } from './inventory-generator.js';
export * from './plan-types.js';
export { checkPlan } from './check-plan.js';
