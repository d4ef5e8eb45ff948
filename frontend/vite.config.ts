import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `make dev` runs this dev server; API calls go to the API started beside it.
const api = process.env.DRIFT_API_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { "/api": api, "/health": api, "/ready": api, "/swagger-ui": api, "/api-docs": api },
  },
  build: { outDir: "dist", sourcemap: true },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
