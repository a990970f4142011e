import open from "open";

/**
 * Whether a browser on this machine can show a page to the person at the keyboard. No for SSH
 * sessions, CI, and Linux without a display; an explicit `BROWSER` setting always counts as yes.
 */
export function canOpenBrowser(
  env: Record<string, string | undefined> = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (env.BROWSER) return true;
  if (env.CI && env.CI !== "false" && env.CI !== "0") return false;
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) return false;
  if (platform === "linux" || platform === "freebsd" || platform === "openbsd") {
    return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  }
  return true;
}

/** A launcher that fails does so quickly; one still running after this is taken as opened. */
const LAUNCH_GRACE_MS = 1_000;

/**
 * Opens `url` in the default browser. Resolves false when the launcher could not start or exited
 * with an error shortly after (the `open` package itself resolves even when nothing opened).
 */
export async function openInBrowser(url: string): Promise<boolean> {
  try {
    const child = await open(url);
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), LAUNCH_GRACE_MS);
      child.once("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  } catch {
    return false;
  }
}
