import http from "node:http";

const agent = new http.Agent({ keepAlive: true });

/**
 * A GET on Node's own HTTP client with a kept-alive connection, the body read whole: the client
 * `vault.request()` itself uses for the provider call, for a direct path that differs from B only
 * by the vault.
 */
export function nodeGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: "GET", headers, agent });
    outgoing.on("response", (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      incoming.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}
