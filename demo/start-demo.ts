import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DestinationStream } from "pino";
import { loadEnvConfig, loadInventory } from "../src/config";
import type { LogLevel } from "../src/config/settings";
import { createConsole, type ConsoleChannel, type ConsoleUser, type LocalConsole } from "../sim/console";
import { startIntervene, type InterveneHandle } from "../src/runtime/start-intervene";
import { createLogger } from "../src/util/logger";
import { freePort } from "../sim/process/free-port";
import { findBinary } from "../sim/process/require-binary";
import { startRedisServer, type RedisServerHandle } from "../sim/process/redis-server";
import { startDiracSim, type DiracSim } from "../sim/dirac/start-dirac-sim";
import { breakManagerMnesia } from "../sim/leofs/break-manager-mnesia";
import { startLeofsSim, type LeofsSim } from "../sim/leofs/start-leofs-sim";
import { InProcessSshHosts } from "../sim/ssh/in-process-ssh-hosts";
import { mergeInventories } from "./merge-inventories";

export const ALICE: ConsoleUser = { id: "U0ALICE", name: "Alice", role: "requester" };
export const BOB: ConsoleUser = { id: "U0BOB", name: "Bob", role: "approver" };
export const LEOFS_CHANNEL: ConsoleChannel = { id: "C0LEOFSSIM", name: "leofs-demo" };
export const DIRAC_CHANNEL: ConsoleChannel = { id: "C0DIRACSIM", name: "dirac-demo" };
export const LEOFS_CLUSTER = "leofs-demo";
export const DIRAC_CLUSTER = "dirac-demo";

/** A missing system package or a bad setting: the message says how to fix it. */
export class DemoSetupError extends Error {
  override readonly name = "DemoSetupError";
}

export interface DemoOptions {
  /** HTTP port of the bot and the console; 0 picks a free one. @defaultValue 3000 */
  readonly port?: number;
  /** Use this Redis instead of starting a private redis-server. */
  readonly redisUrl?: string;
  /** Redis key prefix. @defaultValue a fresh one per demo */
  readonly prefix?: string;
  /** Add the simulated DIRAC setup (needs runit). @defaultValue when runsvdir is installed */
  readonly dirac?: boolean;
  /** Corrupt the slave manager's Mnesia first, so `/leofs recover manager-slave` has something to repair. @defaultValue true */
  readonly brokenSlave?: boolean;
  readonly logLevel?: LogLevel;
  /** Where the JSON log lines go. @defaultValue stdout */
  readonly logDestination?: DestinationStream;
  /** pino-pretty lines instead of JSON (the demo's log file is read by people). @defaultValue LOG_FORMAT, else JSON */
  readonly prettyLogs?: boolean;
  /** Progress lines while starting ("starting redis-server..."). */
  readonly onProgress?: (line: string) => void;
}

export interface Demo {
  /** `http://127.0.0.1:<port>/console` */
  readonly consoleUrl: string;
  readonly baseUrl: string;
  /** The operations server (GET /metrics, /readyz, detailed /healthz), on a free loopback port. */
  readonly opsUrl: string;
  readonly console: LocalConsole;
  readonly intervene: InterveneHandle;
  readonly leofs: LeofsSim;
  readonly dirac: DiracSim | undefined;
  readonly redisUrl: string;
  /** What the demo must never log: for the log-scanning test. */
  readonly secrets: { readonly botToken: string; readonly signingSecret: string; readonly privateKeyPath: string };
  /** Stops everything the demo started, each by its handle or pid, in reverse order. */
  stop(): Promise<void>;
}

const addresses = (first: number, count: number): string[] => Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);

/**
 * `npm run demo`, as a function the browser test can start and stop: a
 * private redis-server, a simulated LeoFS cluster (2 managers, 3 storage, 1
 * gateway, running) and DIRAC setup behind an in-process SSH server, the bot
 * and workers (ROLE=all) and the local console on one HTTP port.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const progress = options.onProgress ?? (() => undefined);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse().splice(0)) await stop().catch(() => undefined);
  };
  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      if (findBinary("redis-server") === undefined) throw new DemoSetupError("redis-server not found: the demo keeps its runs in a private Redis. Install it with: apt-get install -y redis-server (or set REDIS_URL to a Redis you own)");
      progress("starting a private redis-server");
      const started: RedisServerHandle = await startRedisServer({ appendonly: false });
      stops.push(async () => {
        await started.stop();
        fs.rmSync(started.dir, { recursive: true, force: true });
      });
      redisUrl = started.url;
    }

    const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-demo-"));
    stops.push(() => Promise.resolve(fs.rmSync(demoDir, { recursive: true, force: true })));
    const ssh = new InProcessSshHosts();
    stops.push(() => ssh.stopAll());
    const approval = { requesters: [ALICE.id], approvers: [BOB.id] };

    // The managers' Mnesia is real Erlang where erl and epmd are installed (erlang-base, erlang-mnesia); otherwise the shell model's.
    const mnesia = findBinary("erl") !== undefined && findBinary("erlc") !== undefined && findBinary("epmd") !== undefined ? "erlang" : "shell";
    progress(`starting the simulated LeoFS cluster (2 managers, 3 storage, 1 gateway; managers' Mnesia: ${mnesia === "erlang" ? "real Erlang/OTP mnesia" : "shell model, install erlang-base and erlang-mnesia for the real one"})`);
    const leofs = await startLeofsSim({ storage: 3, gateways: 1, started: true, clusterName: LEOFS_CLUSTER, addresses: addresses(110, 6), approval, sshHosts: ssh, mnesia });
    stops.push(() => leofs.stop());
    if (options.brokenSlave !== false) {
      progress("corrupting the slave manager's Mnesia (seed 000, case 1)");
      await breakManagerMnesia(leofs, "manager-slave");
    }

    let dirac: DiracSim | undefined;
    const wantDirac = options.dirac ?? findBinary("runsvdir") !== undefined;
    if (wantDirac) {
      if (findBinary("runsvdir") === undefined) throw new DemoSetupError("runsvdir not found: the simulated DIRAC boxes run real runit. Install it with: apt-get install -y runit (or start the demo without DIRAC)");
      progress("starting the simulated DIRAC setup");
      const started = await startDiracSim({ cluster: DIRAC_CLUSTER, channel: DIRAC_CHANNEL.id, firstAddress: 140, approval, sshHosts: ssh });
      dirac = started;
      stops.push(() => started.stop());
    }

    const inventoryFile = path.join(demoDir, "inventory.yaml");
    mergeInventories([leofs.inventoryPath, ...(dirac === undefined ? [] : [dirac.inventoryPath])], inventoryFile);
    const knownHostsFile = path.join(demoDir, "known_hosts");
    fs.writeFileSync(knownHostsFile, [leofs.knownHostsPath, ...(dirac === undefined ? [] : [dirac.knownHostsPath])].map((f) => fs.readFileSync(f, "utf8")).join(""));

    const port = options.port === 0 ? await freePort("127.0.0.1") : (options.port ?? 3000);
    const baseUrl = `http://127.0.0.1:${port}`;
    const botToken = `xoxb-demo-${randomBytes(12).toString("hex")}`;
    const signingSecret = randomBytes(16).toString("hex");
    const channels = [LEOFS_CHANNEL, ...(dirac === undefined ? [] : [DIRAC_CHANNEL])];
    const slackConsole = createConsole({ botToken, signingSecret, baseUrl, eventsUrl: `${baseUrl}/slack/events`, users: [ALICE, BOB], channels });
    stops.push(() => Promise.resolve(slackConsole.close()));

    const settings = loadEnvConfig({
      ROLE: "all",
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slackConsole.apiUrl,
      REDIS_URL: redisUrl,
      PORT: String(port),
      OPS_PORT: "0",
      INVENTORY_FILE: inventoryFile,
      SSH_PRIVATE_KEY_FILE: leofs.privateKeyPath,
      SSH_KNOWN_HOSTS_FILE: knownHostsFile,
      LOG_LEVEL: options.logLevel ?? "info",
      SHUTDOWN_GRACE_MS: "3000",
      HOME: os.homedir(),
    });
    const inventory = loadInventory(settings);
    const logFormat = settings.logFormat ?? (options.prettyLogs === true ? "pretty" : "json");
    const logger = createLogger({ logLevel: settings.logLevel, role: "all", logFormat }, options.logDestination);
    progress(`starting the bot and workers on ${baseUrl}`);
    const intervene = await startIntervene({
      settings,
      inventory,
      logger,
      prefix: options.prefix ?? `intervene-demo-${randomBytes(4).toString("hex")}`,
      host: "127.0.0.1",
      extraRoutes: slackConsole.routes,
    });
    stops.push(() => intervene.close());
    await intervene.slack?.whenConnected();

    return {
      consoleUrl: `${baseUrl}/console`,
      baseUrl,
      opsUrl: intervene.opsUrl ?? "",
      console: slackConsole,
      intervene,
      leofs,
      dirac,
      redisUrl,
      secrets: { botToken, signingSecret, privateKeyPath: leofs.privateKeyPath },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
