// Starts `kform fake-kintone --apps FILE` on a free port and reads its `listening on` line.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

export async function startFakeKintone(appsFile) {
  const bin = process.env.KFORM_BIN;
  if (!bin) throw new Error("KFORM_BIN must name the kform binary (cargo xtask test sets it)");
  const child = spawn(bin, ["fake-kintone", "--apps", appsFile], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`kform fake-kintone exited early with ${code}`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      const url = line.match(/^listening on (http:\/\/\S+)$/)?.[1];
      if (url) return url;
    }
    throw new Error("kform fake-kintone printed no `listening on` line");
  })();
  const url = await Promise.race([ready, exited]);
  exited.catch(() => {});
  return {
    url,
    port: new URL(url).port,
    async stop() {
      const done = once(child, "exit");
      child.kill("SIGTERM");
      await done;
    },
  };
}
