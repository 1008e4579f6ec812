// Launches Debian's Chromium through playwright-core (no browser download).
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-first-run",
      // Every test server is on loopback; a host page on another loopback origin would need the
      // visitor's permission to reach the relay there (Local Network Access), which a public
      // relay and a public site never do.
      "--disable-features=LocalNetworkAccessChecks",
    ],
  });
}
