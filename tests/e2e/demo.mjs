// Starts `kform demo` on a free port and reads the lines it prints (page, kintone, app, token).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

/**
 * Starts the demo; `pkg` names another widget directory to serve under /widget/, `smtp` an SMTP
 * server (`host:port`) for forms' mail.
 */
export async function startDemo({ pkg, smtp } = {}) {
  const bin = process.env.KFORM_BIN;
  if (!bin) throw new Error("KFORM_BIN must name the kform binary (cargo xtask test sets it)");
  const args = ["demo", "--port", "0", ...(pkg ? ["--pkg", pkg] : []), ...(smtp ? ["--smtp", smtp] : [])];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const info = {};
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`kform demo exited early with ${code}`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      const [key, ...rest] = line.split(": ");
      info[key] = rest.join(": ");
      if (key === "token") return;
    }
  })();
  await Promise.race([ready, exited]);
  exited.catch(() => {});
  return {
    page: info.page,
    kintone: info.kintone,
    app: info.app,
    token: info.token,
    admin: info["admin key"],
    showcase: { app: info["showcase app"], token: info["showcase token"] },
    /** Stops the demo as Ctrl-C does and resolves to its exit code. */
    async stop() {
      const done = once(child, "exit");
      child.kill("SIGINT");
      const [code] = await done;
      return code;
    },
  };
}

/**
 * Reads records back from the (fake) kintone the way any kintone client would: the contact
 * app's, or another's when `app` is `{ app, token }` (e.g. `demo.showcase`).
 */
export async function kintoneRecords(demo, { app, token } = demo) {
  const url = `${demo.kintone}/k/v1/records.json?app=${app}`;
  const response = await fetch(url, { headers: { "X-Cybozu-API-Token": token } });
  if (!response.ok) throw new Error(`records.json answered ${response.status}`);
  return (await response.json()).records;
}

/** The records of the app matching `predicate`, once there are any (within about 10 s). */
export async function recordsEventually(demo, app, predicate) {
  for (let i = 0; i < 100; i++) {
    const found = (await kintoneRecords(demo, app)).filter(predicate);
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [];
}

/**
 * Changes the contact app's field settings in the (fake) kintone as `change(properties)` does,
 * as an administrator would in kintone; the relay learns of it at its next sync.
 */
export async function changeAppFields(demo, change) {
  const { kintone, app, token } = demo;
  const fields = await fetch(`${kintone}/k/v1/app/form/fields.json?app=${app}`, {
    headers: { "X-Cybozu-API-Token": token },
  }).then((response) => response.json());
  change(fields.properties);
  const changed = await fetch(`${kintone}/_fake/apps/${app}/properties`, {
    method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(fields.properties),
  });
  if (changed.status !== 200) throw new Error(`the fake kintone refused the change: ${await changed.text()}`);
}
