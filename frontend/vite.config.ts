import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The site talks only to the gateway at the same origin (relative /api/ URLs); `npm run dev`
// proxies /api to a platform started by scripts/up.
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: { "/api": "http://localhost:8080" },
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});
