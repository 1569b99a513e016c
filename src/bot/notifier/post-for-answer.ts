import http from "node:http";
import https from "node:https";
import { webApi } from "@slack/bolt";

export interface HttpAnswer {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * One POST and its whole answer, whatever its status. No answer within
 * `timeoutMs`, a refused or reset connection, or an answer cut in its middle
 * (the call may or may not have taken effect) fails with @slack/web-api's
 * `WebAPIRequestError`, which `classifySlackError` reads as ambiguous.
 */
export function postForAnswer(url: URL, options: { readonly agent: http.Agent; readonly headers: http.OutgoingHttpHeaders; readonly timeoutMs: number; readonly what: string }, body: string | Buffer): Promise<HttpAnswer> {
  const request = url.protocol === "https:" ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, { method: "POST", agent: options.agent, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(new webApi.WebAPIRequestError(err));
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? "", headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer ${options.what} within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(new webApi.WebAPIRequestError(err));
    });
    req.end(body);
  });
}
