// A TCP proxy in front of each broker of the local cluster, for network-fault tests. kafka/cluster.sh
// gives every broker a PROXIED listener (plaintext, 127.0.0.1:959N) that advertises 127.0.0.1:969N —
// the port this proxy listens on — so a client bootstrapped with 969N reaches that broker, and every
// other broker it learns of from the metadata, only through these proxies. Per broker a test can add
// latency, blackhole the link (nothing is forwarded, nothing is closed: what is sent waits, as in a TCP
// connection whose peer went silent, and flows on once restored), reset every connection (RST), and
// restore. Inter-broker traffic does not pass through the proxies.
import { createServer, connect, type Server, type Socket } from "node:net";
import { deliveryTime } from "./delivery-time.js";

/** The local cluster's broker ids. */
export const BROKER_IDS = [1, 2, 3] as const;

/** The port a client uses for broker `id` through its proxy (advertised by the broker), and the broker's port behind it. */
export const proxyPort = (id: number): number => 9690 + id;
export const proxiedListenerPort = (id: number): number => 9590 + id;

/**
 * Forwards what `from` reads to `to`, in order, each chunk after the proxy's current latency; the end of
 * `from` ends `to` once everything before it was delivered.
 */
function forward(from: Socket, to: Socket, proxy: FaultProxy): void {
  let lastDelivery = 0;
  const after = (action: () => void) => {
    const now = Date.now();
    lastDelivery = deliveryTime(now, proxy.latencyMs, lastDelivery);
    if (lastDelivery <= now) action();
    else setTimeout(action, lastDelivery - now);
  };
  from.on("data", (chunk: Buffer) => {
    proxy.bytes += chunk.length;
    after(() => {
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on("end", () => after(() => to.end()));
}

/** A client connection and the proxy's connection to the broker for it. */
interface Link {
  client: Socket;
  broker: Socket;
}

/** The proxy in front of one broker. */
export class FaultProxy {
  /** Milliseconds added to every chunk, in both directions. */
  latencyMs = 0;
  /** Bytes forwarded (counted when read), connections accepted, connections reset. */
  bytes = 0;
  accepted = 0;
  resets = 0;
  private blackholed = false;
  private readonly links = new Set<Link>();
  private server: Server | undefined;

  constructor(
    readonly brokerId: number,
    readonly port = proxyPort(brokerId),
    readonly target = proxiedListenerPort(brokerId),
  ) {}

  /** Listens on 127.0.0.1:{@link port}. */
  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Stops forwarding in both directions without closing anything; new connections are accepted and hang too. */
  blackhole(): void {
    this.blackholed = true;
    for (const { client, broker } of this.links) {
      client.pause();
      broker.pause();
    }
  }

  /** Resets (RST) every open connection; later connections are proxied as usual. */
  reset(): void {
    for (const link of this.links) {
      this.resets++;
      link.client.resetAndDestroy();
      link.broker.resetAndDestroy();
    }
    this.links.clear();
  }

  /** No latency, and forwarding again (what waited during a blackhole flows on). */
  restore(): void {
    this.latencyMs = 0;
    this.blackholed = false;
    for (const { client, broker } of this.links) {
      client.resume();
      broker.resume();
    }
  }

  /** Restores, closes every connection and stops listening. */
  async close(): Promise<void> {
    this.restore();
    for (const { client, broker } of this.links) {
      client.destroy();
      broker.destroy();
    }
    this.links.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    const broker = connect(this.target, "127.0.0.1");
    const link = { client, broker };
    this.links.add(link);
    if (this.blackholed) {
      client.pause();
      broker.pause();
    }
    client.setNoDelay(true);
    broker.setNoDelay(true);
    forward(client, broker, this);
    forward(broker, client, this);
    const drop = () => {
      this.links.delete(link);
      client.destroy();
      broker.destroy();
    };
    // A failure on one side ends the other: a refused or reset broker connection is a reset for the client.
    client.on("error", drop).on("close", drop);
    broker.on("error", () => {
      this.links.delete(link);
      client.resetAndDestroy();
    });
    broker.on("close", drop);
  }
}

/**
 * The port whose listener says "a test file holds the fault proxies": their ports are fixed (the brokers
 * advertise them), so files that use them run one after the other even in the parallel e2e project. A
 * listening socket is the lock because the system frees it when its process ends, however it ends.
 */
export const PROXIES_LOCK_PORT = proxyPort(0);

/** Listens on {@link PROXIES_LOCK_PORT} once no other process does; resolves with the listener. */
async function lockProxies(timeoutMs: number): Promise<Server> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = createServer((socket) => socket.destroy());
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once("error", resolve);
      server.listen({ port: PROXIES_LOCK_PORT, host: "127.0.0.1", exclusive: true }, () => resolve(undefined));
    });
    if (error === undefined) return server;
    if (error.code !== "EADDRINUSE") throw error;
    if (Date.now() > deadline) throw new Error(`the fault proxies were still held by another test file after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A proxy per broker of the local cluster, held by one test file at a time (see {@link PROXIES_LOCK_PORT}). */
export class FaultProxies {
  readonly byId = new Map<number, FaultProxy>(BROKER_IDS.map((id) => [id, new FaultProxy(id)]));

  /** The bootstrap addresses that lead through the proxies. */
  readonly brokers = BROKER_IDS.map((id) => `127.0.0.1:${proxyPort(id)}`);

  private lock: Server | undefined;

  /** Waits until no other test file holds the proxies (up to `waitMs`), then listens on every proxy port. */
  async start(waitMs = 600_000): Promise<void> {
    this.lock ??= await lockProxies(waitMs);
    await this.listen();
  }

  /** Listens again after {@link refuse} (the proxies stay held meanwhile). */
  async listen(): Promise<void> {
    await Promise.all([...this.byId.values()].map((p) => p.start()));
  }

  /** Closes every connection and stops listening, as brokers that went away: nothing is reachable through the proxies. */
  async refuse(): Promise<void> {
    await Promise.all(this.all().map((p) => p.close()));
  }

  /** The proxy of broker `id`. */
  of(id: number): FaultProxy {
    const proxy = this.byId.get(id);
    if (proxy === undefined) throw new Error(`no proxy for broker ${id}: the local cluster has brokers ${BROKER_IDS.join(", ")}`);
    return proxy;
  }

  all(): FaultProxy[] {
    return [...this.byId.values()];
  }

  restoreAll(): void {
    for (const proxy of this.all()) proxy.restore();
  }

  /** Closes every proxy and lets the next test file have them. */
  async close(): Promise<void> {
    await this.refuse();
    const lock = this.lock;
    this.lock = undefined;
    if (lock !== undefined) await new Promise<void>((resolve) => lock.close(() => resolve()));
  }
}
