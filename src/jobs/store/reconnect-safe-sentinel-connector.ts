import { SentinelConnector, type SentinelConnectionOptions } from "ioredis";

type ConnectArgs = Parameters<SentinelConnector["connect"]>;

/**
 * ioredis 6.0.0's SentinelConnector with one defect mended: a stale failover
 * detector could end a connection for good during a failover.
 *
 * `failoverDetector: true` subscribes to `+switch-master` on the sentinels
 * once a connection is up, and drops the connection when the primary changes
 * (ioredis `built/connectors/SentinelConnector/FailoverDetector.js`,
 * `disconnect` calls `connector.disconnect()`). When the primary dies, the
 * socket closes and ioredis reconnects, but the old detector stays subscribed
 * until the next successful connect (`initFailoverDetector` only cleans it
 * up there). The sentinels announce the new primary while the reconnect is
 * still asking them for it, so the old detector disconnects the connector
 * mid-resolve. `connectToNext` then throws "Connection is closed."
 * (`SentinelConnector/index.js`), and `Redis._connect` answers a failed
 * connector with status `end` (`built/Redis.js`): the connection never
 * reconnects, and every later command fails. Found by the chaos row "Redis
 * failover under Sentinel"; `test/integration/jobs/sentinel-stale-detector.test.ts`
 * reproduces it.
 *
 * Each (re)connect asks the sentinels afresh, so no detector is needed until
 * it succeeds; this one retires the old detector before asking.
 *
 * It also ends a stream once: ioredis disconnects again for every READONLY
 * reply still arriving from a demoted primary (`reconnectOnError`,
 * `Redis.handleReconnection`), and each call added a `close` listener to the
 * closing stream and to every sentinel client of the detector
 * (`AbstractConnector.disconnect`, `FailoverDetector.cleanup`): dozens at a
 * failover, and Node's listener-leak warning.
 */
export class ReconnectSafeSentinelConnector extends SentinelConnector {
  /** ioredis passes a custom `Connector` the connection's whole options (`built/Redis.js` constructor), typed `unknown`. */
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  /** The stream already being ended. */
  private ending: unknown;

  override disconnect(): void {
    if (this.stream !== undefined && this.stream === this.ending) {
      this.connecting = false;
      return;
    }
    this.ending = this.stream;
    super.disconnect();
  }

  override connect(...args: ConnectArgs): ReturnType<SentinelConnector["connect"]> {
    // `failoverDetector` is private in ioredis's types; its `cleanup` is what
    // ioredis itself calls before replacing it.
    const self = this as unknown as { failoverDetector?: { cleanup(): void } | undefined };
self.failoverDetector?.cleanup();
self.failoverDetector = undefined;
    return super.connect(...args);
  }
}
