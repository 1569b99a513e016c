import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { Queue } from "bullmq";
import express from "express";
import { CONTROL_QUEUE, STEP_QUEUE } from "../jobs/step-job";
import { QUERY_QUEUE } from "../jobs/query";
import { openRedis, type RedisConnectionConfig } from "../jobs/store/redis-connection";
import { GaveUpList } from "../util/settle-within";
import { QUEUE_BOARD_PATH } from "./queue-board-path";

/** Where Bull Board answers on the operations server. */

export interface QueueBoardCredentials {
  readonly user: string;
  readonly password: string;
}

export interface QueueBoard {
  /** Serves every request under QUEUE_BOARD_PATH: basic auth first, then Bull Board. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** Whether the request carries these credentials; compared in constant time over digests (no early exit on length). */
export function hasBasicAuth(header: string | undefined, credentials: QueueBoardCredentials): boolean {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "");
  if (match === null) return false;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(credentials.user));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(credentials.password));
  return userOk && passwordOk;
}

/**
 * Bull Board (`@bull-board/api` with its Express adapter) over the engine's
 * queues, for operators looking at what waits, runs and failed (issue 14
 * point 4). Read-only on purpose: the engine's run store decides what a job
 * means, and a job retried, promoted or removed by hand would bypass the
 * exactly-once bookkeeping (ARCHITECTURE.md "Exactly once"); Retry and Skip
 * belong to the run, from Slack or the CLI.
 */
export function startQueueBoard(connection: RedisConnectionConfig, bullPrefix: string, credentials: QueueBoardCredentials): QueueBoard {
  const redis = openRedis(connection, "intervene-queue-board");
  const queues = [STEP_QUEUE, CONTROL_QUEUE, QUERY_QUEUE].map((name) => new Queue(name, { connection: redis, prefix: bullPrefix }));
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter: adapter, options: { uiConfig: { boardTitle: "intervene queues" } } });
  const app = express();
  app.disable("x-powered-by");
  app.use(QUEUE_BOARD_PATH, (req, res, next) => {
    if (hasBasicAuth(req.headers.authorization, credentials)) return next();
    res.setHeader("WWW-Authenticate", 'Basic realm="intervene queues", charset="UTF-8"');
    res.status(401).type("text/plain").send("intervene: the queue board needs the user and password set in QUEUE_BOARD_USER and QUEUE_BOARD_PASSWORD\n");
  });
  app.use(QUEUE_BOARD_PATH, adapter.getRouter() as express.Router);
  return {
    handle: (req, res) => void app(req, res),
    async close() {
      const gaveUp = new GaveUpList();
      await gaveUp.within("queue board close", queues.map((q) => q.close()));
      redis.disconnect();
      gaveUp.throwIfAny();
    },
  };
}
