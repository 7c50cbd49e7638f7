import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The build lands in dist/ (not in git), which the Go package web embeds.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npm run dev` next to `make run`: the API answers on :8080.
    proxy: { "/v1": "http://localhost:8080" },
  },
  test: {
    environment: "node", // component tests ask for jsdom in their first line
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    // A component test renders antd in jsdom, which is slow on a busy
    // machine; the default 5 s has timed out there.
    testTimeout: 30000,
  },
});
