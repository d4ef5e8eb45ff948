// Fails when src/api/schema.d.ts is not what openapi-typescript makes of openapi/openapi.json,
// so the client can never drift from the API it talks to. `make frontend-client` regenerates it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "drift-schema-"));
try {
  const fresh = join(dir, "schema.d.ts");
  execFileSync("npx", ["openapi-typescript", "../openapi/openapi.json", "-o", fresh], { stdio: "ignore" });
  if (readFileSync(fresh, "utf8") !== readFileSync("src/api/schema.d.ts", "utf8")) {
    console.error(
      "frontend/src/api/schema.d.ts is stale: openapi/openapi.json changed. Run `make frontend-client` and commit the result.",
    );
    process.exit(1);
  }
  console.log("frontend/src/api/schema.d.ts matches openapi/openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
