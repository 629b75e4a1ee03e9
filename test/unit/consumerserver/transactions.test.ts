// When the Consumer Server's exactly-once transactions commit, as the engine sees it through
// committingBeforePolls: against a group whose polls the test answers (our own PollingGroup interface)
// and a transaction whose time left is set by the test.
import { describe, expect, it } from "vitest";
import { KafkaError, Message, RevokedPartitions } from "../../../src/index.js";
import type { PollingGroup } from "../../../consumerserver/subscription.js";
import { committingBeforePolls, type ServerTransactions } from "../../../consumerserver/transactions.js";
import { until } from "../support/until.js";

type PollEvent = Awaited<ReturnType<PollingGroup["pollBatch"]>>;

/** A group whose polls wait until the test answers them; what happened is written to `log`. */
class AnsweredGroup implements PollingGroup {
  readonly polls: Array<{ options: unknown; answer(event: PollEvent): void; fail(error: Error): void }> = [];
  constructor(private readonly log: string[]) {}

  pollBatch(options?: unknown): Promise<PollEvent> {
    this.log.push("poll");
    return new Promise((resolve, reject) =>
      this.polls.push({
        options,
        answer: (event) => {
          this.log.push("event");
          resolve(event);
        },
        fail: reject,
      }),
    );
  }
  storeOffsets(): void {}
  pause(): void {}
  resume(): void {}
  close(): Promise<void> {
    this.log.push("group closed");
    return Promise.resolve();
  }
}

/**
 * A transaction due `dueIn` ms from now (undefined: none open). A commit takes `commitMs`, then closes
 * it or fails with `commitError`.
 */
function scriptedTransactions(
  log: string[],
  script: { dueIn: number | undefined; commitMs?: number; commitError?: Error },
): ServerTransactions {
  let dueAt = script.dueIn === undefined ? undefined : Date.now() + script.dueIn;
  return {
    dueIn: () => (dueAt === undefined ? undefined : dueAt - Date.now()),
    commit: async () => {
      log.push("commit");
      await new Promise((resolve) => setTimeout(resolve, script.commitMs ?? 0));
      if (script.commitError !== undefined) throw script.commitError;
      dueAt = undefined;
      log.push("committed");
    },
    end: () => {
      log.push("end");
      return Promise.resolve();
    },
    prepare: () => Promise.resolve(),
  } as Partial<ServerTransactions> as ServerTransactions;
}

const messages = [new Message("t", 0, null, Buffer.from("v"), [], 0, 7)];

describe("committingBeforePolls", () => {
  it("hands the poll's event on without committing while the open transaction is not due, passing the poll's options as given", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: 60_000 })).pollBatch({ maxMessages: 5 });
    await until(() => group.polls.length === 1);
    group.polls[0]!.answer(messages);
    expect(await polled).toBe(messages);
    expect(log).toEqual(["poll", "event"]);
    expect(group.polls[0]!.options).toEqual({ maxMessages: 5 });
  });

  it("commits a transaction that falls due while the poll waits, without ending the poll", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: 20 })).pollBatch({});
    await until(() => log.includes("committed"));
    group.polls[0]!.answer(messages);
    expect(await polled).toBe(messages);
    expect(log).toEqual(["poll", "commit", "committed", "event"]);
  });

  it("returns an event that arrives during the commit only once the commit is done", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: 10, commitMs: 50 })).pollBatch({});
    await until(() => log.includes("commit"));
    group.polls[0]!.answer(messages);
    expect(await polled).toBe(messages);
    expect(log).toEqual(["poll", "commit", "event", "committed"]);
  });

  it("commits a transaction already due before polling", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: -5 })).pollBatch({});
    await until(() => group.polls.length === 1);
    group.polls[0]!.answer(messages);
    expect(await polled).toBe(messages);
    expect(log).toEqual(["commit", "committed", "poll", "event"]);
  });

  it("commits the open transaction before handing on a revocation, however long it has left", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const revoked = new RevokedPartitions([{ topic: "t", partition: 0, offset: -1001 }]);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: 60_000 })).pollBatch({});
    await until(() => group.polls.length === 1);
    group.polls[0]!.answer(revoked);
    expect(await polled).toBe(revoked);
    expect(log).toEqual(["poll", "event", "commit", "committed"]);
  });

  it("returns a failed commit as a fatal CommitTransaction error naming the cause, without polling", async () => {
    const log: string[] = [];
    const cause = new KafkaError("Unknown member", { operation: "SendOffsets", key: "kafka.producers.tx", code: 25 });
    const group = new AnsweredGroup(log);
    const event = await committingBeforePolls(group, scriptedTransactions(log, { dueIn: 0, commitError: cause })).pollBatch({});
    expect(event).toBeInstanceOf(KafkaError);
    expect(event).toMatchObject({ operation: "CommitTransaction", key: "kafka.producers.tx", fatal: true, cause });
    expect((event as KafkaError).message).toBe("Unknown member (the transaction is not committed; the server stops)");
    expect(log).toEqual(["commit"]);
  });

  it("returns a commit failing during the wait as the fatal error; the poll it leaves pending raises no unhandled rejection", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const cause = new Error("coordinator gone");
    const event = await committingBeforePolls(group, scriptedTransactions(log, { dueIn: 10, commitError: cause })).pollBatch({});
    expect(event).toMatchObject({ operation: "CommitTransaction", fatal: true, cause });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    group.polls[0]!.fail(new Error("aborted"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
    expect(log).toEqual(["poll", "commit"]);
  });

  it("passes a poll's rejection through (an abort on stop)", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    const polled = committingBeforePolls(group, scriptedTransactions(log, { dueIn: 60_000 })).pollBatch({});
    await until(() => group.polls.length === 1);
    group.polls[0]!.fail(new DOMException("This operation was aborted", "AbortError"));
    await expect(polled).rejects.toMatchObject({ name: "AbortError" });
    expect(log).toEqual(["poll"]);
  });

  it("ends the open transaction before the group is closed", async () => {
    const log: string[] = [];
    const group = committingBeforePolls(new AnsweredGroup(log), scriptedTransactions(log, { dueIn: 10 }));
    await group.close();
    expect(log).toEqual(["end", "group closed"]);
  });

  it("initializes the transactions once, before the first poll; a failed initialization does not stop polling", async () => {
    const log: string[] = [];
    const group = new AnsweredGroup(log);
    let finishPrepare: (error?: Error) => void = () => undefined;
    const transactions = {
      ...scriptedTransactions(log, { dueIn: undefined }),
      prepare: () => {
        log.push("prepare");
        return new Promise<void>((resolve, reject) => (finishPrepare = (error) => (error === undefined ? resolve() : reject(error))));
      },
    };
    const polling = committingBeforePolls(group, transactions);
    const first = polling.pollBatch({});
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual(["prepare"]); // no poll before the transactions are initialized
    finishPrepare(new Error("coordinator not available")); // the first begin meets it again
    await until(() => group.polls.length === 1);
    group.polls[0]!.answer(messages);
    expect(await first).toBe(messages);
    const second = polling.pollBatch({});
    await until(() => group.polls.length === 2);
    group.polls[1]!.answer(messages);
    expect(await second).toBe(messages);
    expect(log).toEqual(["prepare", "poll", "event", "poll", "event"]);
  });
});
