// What the end-to-end tests share: a timed log with checks and polling
// until something holds.

// logger returns log and check for one test, its lines prefixed with the
// test's name and the seconds since it started.
export function logger(name) {
  const started = Date.now();
  const prefix = name ? `e2e ${name}` : "e2e";
  const log = (...args) => console.log(`[${prefix} ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
  const check = (cond, what) => {
    if (!cond) throw new Error(`check failed: ${what}`);
    log("ok:", what);
  };
  return { log, check, started };
}

// waitFor polls fn until it returns something truthy, and returns that.
export async function waitFor(fn, what, timeoutMs = 20000, everyMs = 250) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}
