import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each start their own sandbox of real mysqld processes; two cores here,
    // so two files at a time keeps them from starving each other.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
