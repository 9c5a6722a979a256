import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // integration tests share one broker; running files one at a time keeps a 2-core machine responsive
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000
  }
})
