import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CustomRoute } from "@slack/bolt";

/** `/console/api/:method` against `/console/api/chat.update` -> { method: "chat.update" }; undefined when it does not match. */
export function matchRoutePath(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] ?? "";
    if (part.startsWith(":")) {
      if (actual === "") return undefined;
      params[part.slice(1)] = decodeURIComponent(actual);
    } else if (part !== actual) return undefined;
  }
  return params;
}

/**
 * Serves Bolt custom routes on a server of their own: the console without a
 * bot in front (tests, or a bot run as a separate process pointed at it).
 */
export async function serveRoutes(routes: readonly CustomRoute[], options: { readonly host?: string; readonly port?: number } = {}): Promise<{ readonly url: string; readonly server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://local").pathname;
    const method = (req.method ?? "GET").toUpperCase();
    for (const route of routes) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
      const params = methods.includes(method) ? matchRoutePath(route.path, pathname) : undefined;
      if (params !== undefined) return route.handler(Object.assign(req, { params }), res);
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found\n");
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
