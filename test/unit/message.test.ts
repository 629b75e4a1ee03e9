import { describe, expect, it } from "vitest";
import { checkMessageInput, Message, messageFromInput, NO_HEADERS, type MessageInput } from "../../src/message.js";

const now = new Date("2026-01-02T03:04:05Z");
const rejection = (input: unknown, index = 0) => {
  try {
    checkMessageInput(input as MessageInput, index);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("checkMessageInput", () => {
  it("accepts what writeMessages documents: strings, Buffers, null and absent fields", () => {
    const accepted: MessageInput[] = [
      { value: "v" },
      { value: Buffer.from("v"), key: "k" },
      { value: null, key: null },
      { value: undefined as never, key: undefined },
      { value: "", key: Buffer.alloc(0), partition: 0, topic: "t", time: now },
      {
        value: "v",
        headers: [
          { key: "a", value: "1" },
          { key: "a", value: Buffer.from("2") },
        ],
      },
      { value: "v", headers: { a: "1", b: Buffer.from("2") } },
    ];
    for (const input of accepted) expect(rejection(input), JSON.stringify(input)).toBeUndefined();
  });

  it.each([
    [{ value: 42 }, "message 3: value must be a string, a Buffer or null, got number 42"],
    [{ value: { text: "hi" } }, "message 3: value must be a string, a Buffer or null, got an object (Object)"],
    [{ value: new Uint8Array(2) }, "message 3: value must be a string, a Buffer or null, got an object (Uint8Array)"],
    [{ value: "v", key: 7 }, "message 3: key must be a string, a Buffer, null or undefined, got number 7"],
    [{ value: "v", key: true }, "message 3: key must be a string, a Buffer, null or undefined, got boolean true"],
    [{ value: "v", partition: -1 }, "message 3: partition must be a non-negative integer or undefined, got number -1"],
    [{ value: "v", partition: 1.5 }, "message 3: partition must be a non-negative integer or undefined, got number 1.5"],
    [{ value: "v", partition: "2" }, "message 3: partition must be a non-negative integer or undefined, got a string"],
    [{ value: "v", partition: NaN }, "message 3: partition must be a non-negative integer or undefined, got number NaN"],
    [{ value: "v", topic: "" }, "message 3: topic must be a non-empty string or undefined, got an empty string"],
    [{ value: "v", topic: 5 }, "message 3: topic must be a non-empty string or undefined, got number 5"],
    [{ value: "v", time: 1700000000000 }, "message 3: time must be a valid Date or undefined, got number 1700000000000"],
    [{ value: "v", time: new Date("nonsense") }, "message 3: time must be a valid Date or undefined, got an invalid Date"],
    [{ value: "v", headers: { a: 1 } }, "message 3: headers.a must be a string or a Buffer, got number 1"],
    [{ value: "v", headers: { a: null } }, "message 3: headers.a must be a string or a Buffer, got null"],
    [{ value: "v", headers: [{ key: "a", value: 1 }] }, "message 3: headers[0].value must be a string or a Buffer, got number 1"],
    [
      {
        value: "v",
        headers: [
          { key: "a", value: "1" },
          { key: 2, value: "x" },
        ],
      },
      "message 3: headers[1].key must be a string, got number 2",
    ],
    [{ value: "v", headers: ["a"] }, "message 3: headers[0] must be an object { key, value }, got a string"],
    [{ value: "v", headers: "a=1" }, "message 3: headers must be a list of { key, value } or an object of name to value, got a string"],
  ])("rejects %j naming the index and the field", (input, message) => {
    const error = rejection(input, 3);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(message);
  });

  it("never puts the content of a rejected field into the error", () => {
    const error = rejection({ value: "v", key: { secret: "hunter2" } }) as Error;
    expect(error.message).not.toContain("hunter2");
  });
});

describe("messageFromInput", () => {
  it("builds the Message a write sends", () => {
    const message = messageFromInput({ value: "v", key: "k", partition: 2, headers: { h: "1" } }, "orders", now, 0);
    expect(message).toBeInstanceOf(Message);
    expect(message).toMatchObject({ topic: "orders", partition: 2, offset: -1, highWaterMark: -1, time: now });
    expect(message.valueString()).toBe("v");
    expect(message.keyString()).toBe("k");
    expect(message.header("h")).toBe("1");
  });

  it("gives messages without headers one shared empty list that setHeader replaces", () => {
    const a = messageFromInput({ value: "a" }, "t", now, 0);
    const b = messageFromInput({ value: "b", topic: "other" }, "t", now, 1);
    expect(a.headers).toBe(NO_HEADERS);
    expect(b.headers).toBe(NO_HEADERS);
    expect(b.topic).toBe("other");
    expect(b.partition).toBe(-1);
    expect(() => a.headers.push({ key: "x", value: Buffer.from("1") })).toThrow(TypeError);
    a.setHeader("x", "1");
    expect(a.header("x")).toBe("1");
    expect(b.headers).toHaveLength(0);
    expect(NO_HEADERS).toHaveLength(0);
  });

  it("makes the same Message as the fields constructor", () => {
    const key = Buffer.from("k");
    const value = Buffer.from("v");
    const fields = (m: Message) => [m.topic, m.partition, m.offset, m.highWaterMark, m.key, m.value, [...m.headers], m.time];
    expect(fields(messageFromInput({ key, value }, "t", now, 0))).toEqual(fields(new Message({ topic: "t", key, value, time: now })));
  });

  it("a read message given its time in epoch ms makes the Date on first use, once", () => {
    const read = new Message("t", 0, null, Buffer.from("v"), [], 1_700_000_000_123, 5, 9);
    expect(read.timestamp).toBe(1_700_000_000_123);
    const time = read.time;
    expect(time).toBeInstanceOf(Date);
    expect(time.getTime()).toBe(1_700_000_000_123);
    expect(read.time).toBe(time);
    read.time = new Date(42);
    expect(read.timestamp).toBe(42);
    expect(JSON.parse(JSON.stringify(read))).toEqual({
      topic: "t",
      partition: 0,
      offset: 5,
      highWaterMark: 9,
      key: null,
      value: { type: "Buffer", data: [118] },
      headers: [],
      time: "1970-01-01T00:00:00.042Z",
    });
  });

  it("checks its input first", () => {
    expect(() => messageFromInput({ value: 1 as never }, "t", now, 5)).toThrow("message 5: value must be");
  });
});
