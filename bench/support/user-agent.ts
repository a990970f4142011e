import { performance } from "node:perf_hooks";
import { CookieJar } from "./cookie-jar.js";

/** A page the user agent ended up on after following redirects. */
export interface LoadedPage {
  url: URL;
  status: number;
  body: string;
  /** `performance.now()` once the whole response, body included, had been received. */
  receivedAt: number;
}

/** Browsers give up after 20 redirects; so does this. */
const MAX_REDIRECTS = 20;

/**
 * A browser without the rendering: navigates with `fetch`, follows redirects itself (so cookies
 * are stored and sent at every hop, as a browser does), keeps a cookie jar, and submits forms with
 * the `Origin` header a browser adds to a form post.
 */
export class UserAgent {
  readonly #jar = new CookieJar();

  constructor(private readonly signal: AbortSignal) {}

  /** Loads `url` like the address bar would. */
  open(url: URL): Promise<LoadedPage> {
    return this.#navigate("GET", url, undefined, undefined);
  }

  /** Submits a form that lives on a page of `pageUrl` (whose origin the browser sends along). */
  submit(pageUrl: URL, method: "GET" | "POST", action: URL, body: URLSearchParams): Promise<LoadedPage> {
    if (method === "GET") {
      const target = new URL(action);
      target.search = body.toString();
      return this.#navigate("GET", target, undefined, undefined);
    }
    return this.#navigate("POST", action, body, pageUrl.origin);
  }

  async #navigate(
    firstMethod: string,
    start: URL,
    firstBody: URLSearchParams | undefined,
    origin: string | undefined,
  ): Promise<LoadedPage> {
    let url = start;
    let method = firstMethod;
    let body = firstBody;
    for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
      const headers: Record<string, string> = { accept: "text/html" };
      const cookie = this.#jar.headerFor(url);
      if (cookie) headers.cookie = cookie;
      if (body) headers["content-type"] = "application/x-www-form-urlencoded";
      if (origin && method === "POST") headers.origin = origin;
      const response = await fetch(url, {
        method,
        headers,
        redirect: "manual",
        signal: this.signal,
        ...(body ? { body: body.toString() } : {}),
      });
      // Read the whole body before taking the time: "received" means the user has the page.
      const text = await response.text();
      const receivedAt = performance.now();
      this.#jar.store(url, response.headers.getSetCookie());

      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { url, status: response.status, body: text, receivedAt };
      }
      url = new URL(location, url);
      // 307/308 repeat the request as it was; 301/302/303 become a GET without a body, as browsers do.
      if (response.status !== 307 && response.status !== 308) {
        method = "GET";
        body = undefined;
      }
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects from ${start.href}`);
  }
}
