import type { FastifyReply } from "fastify";
import type { RenderedPage } from "./html.js";

export function sendPage(reply: FastifyReply, status: number, page: RenderedPage): FastifyReply {
  return (
    reply
      .status(status)
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", page.csp)
      // Not no-referrer: with it, browsers send `Origin: null` on our own form posts, and the
      // forms' origin check needs the real one. same-origin still tells no other site anything.
      .header("referrer-policy", "same-origin")
      .send(page.html)
  );
}
