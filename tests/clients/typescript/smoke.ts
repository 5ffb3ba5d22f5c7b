// Smoke test of the TypeScript types openapi-typescript generates from the
// served contract, used through openapi-fetch: log in, list programmes,
// read an enterprise, page through a list, read a problem. Compiled with
// `tsc --strict` first, so a type the contract gets wrong fails the build.
// Run by tests/clients/run.sh with SHUZHUAN_URL and SHUZHUAN_ADMIN_PASSWORD.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];
type EnterpriseView = components["schemas"]["EnterpriseView"];

function check(ok: boolean, what: string, value?: unknown): void {
  if (!ok) {
    throw new Error(`${what}: ${JSON.stringify(value)}`);
  }
}

async function main(): Promise<void> {
  const baseUrl = process.env.SHUZHUAN_URL ?? "";
  const password = process.env.SHUZHUAN_ADMIN_PASSWORD ?? "";
  const anonymous = createClient<paths>({ baseUrl });
  const login = await anonymous.POST("/api/v1/auth/token", {
    body: { username: "admin", password },
  });
  check(login.data !== undefined, "login", login.error);
  const token = login.data!.access_token;
  // Lists also answer CSV and workbooks: this client reads their JSON.
  const client = createClient<paths, "application/json">({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });

  const programs = await client.GET("/api/v1/programs");
  check(programs.data !== undefined, "programs", programs.error);
  const yinchuan = programs.data!.items.find((p) => p.code === "yinchuan");
  check(yinchuan !== undefined, "yinchuan", programs.data);
  const programId = yinchuan!.id;

  // Page through the regions two at a time.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.GET("/api/v1/programs/{program_id}/regions", {
      params: { path: { program_id: programId }, query: { limit: 2, cursor } },
    });
    check(page.data !== undefined, "regions page", page.error);
    seen.push(...page.data!.items.map((r) => r.code));
    cursor = page.data!.next_cursor ?? undefined;
  } while (cursor !== undefined);
  const whole = await client.GET("/api/v1/programs/{program_id}/regions", {
    params: { path: { program_id: programId }, query: { limit: 500 } },
  });
  check(
    JSON.stringify(whole.data!.items.map((r) => r.code)) === JSON.stringify(seen),
    "pages add up",
    seen,
  );

  const list = await client.GET("/api/v1/enterprises", {
    params: { query: { program_id: programId, limit: 3 } },
  });
  check((list.data?.items.length ?? 0) > 0, "enterprises", list.error);
  const first: EnterpriseView = list.data!.items[0];
  const one = await client.GET("/api/v1/enterprises/{id}", {
    params: { path: { id: first.id } },
  });
  check(one.data?.uscc === first.uscc, "enterprise", one.error);

  const missing = await client.GET("/api/v1/enterprises/{id}", {
    params: { path: { id: "no-such-enterprise" } },
  });
  const problem = missing.error as Problem | undefined;
  check(problem?.code === "not_found" && problem.status === 404, "problem", problem);

  console.log(
    `typescript client: ${programs.data!.items.length} programmes, ${seen.length} regions in pages of 2, ` +
      `enterprise ${first.uscc}, problem ${problem!.code}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
