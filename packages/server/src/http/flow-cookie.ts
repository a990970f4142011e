import type { FastifyReply, FastifyRequest } from "fastify";
import { type BrowserBinding, bindingKeyOf } from "../connect/browser-binding.js";

/**
 * The cookie that carries a flow's browser binding (F2) from the Connect page's start to the
 * provider's callback: HttpOnly (no script reads it), SameSite=Lax (sent on the provider's
 * top-level redirect back, not on cross-site subrequests), Path=/ (both callbacks). Over https it is
 * a `__Host-` cookie (Secure, no Domain: only this exact origin can set or read it). One per flow,
 * named after the flow's state, so flows started in parallel in one browser do not clash.
 */
export class FlowCookies {
  readonly #secure: boolean;

  constructor(publicUrl: string) {
    this.#secure = new URL(publicUrl).protocol === "https:";
  }

  /** Hands the starting browser the binding, until the session expires. */
  set(reply: FastifyReply, binding: BrowserBinding, expiresAt: number, now: number): void {
    const maxAge = Math.max(1, Math.ceil((expiresAt - now) / 1000));
    this.#append(reply, `${this.#name(binding.key)}=${binding.secret}; Max-Age=${maxAge}`);
  }

  /** The binding secret the callback's browser holds for `state`, if any. */
  secretFor(request: FastifyRequest, state: string | null): string | undefined {
    if (!state) return undefined;
    return cookieValue(request.headers.cookie, this.#name(bindingKeyOf(state)));
  }

  /** Drops the binding of a flow whose state was used: it can never serve again. */
  clear(reply: FastifyReply, state: string): void {
    this.#append(reply, `${this.#name(bindingKeyOf(state))}=; Max-Age=0`);
  }

  #name(key: string): string {
    return `${this.#secure ? "__Host-" : ""}gv_flow_${key}`;
  }

  #append(reply: FastifyReply, nameValueAndAge: string): void {
    const attributes = `Path=/; HttpOnly; SameSite=Lax${this.#secure ? "; Secure" : ""}`;
    // Fastify appends to set-cookie rather than replacing it.
    reply.header("set-cookie", `${nameValueAndAge}; ${attributes}`);
  }
}

/** The value of cookie `name` in a `Cookie` request header (RFC 6265 §5.4: `a=b; c=d`). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
