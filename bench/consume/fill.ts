import type { Component } from "ekafka";
import { producerToml } from "../component.js";
import { produceWithRaw } from "../produce/raw.js";
import { Payloads } from "../payload.js";
import { benchComponent } from "../component.js";

/** Writes `count` messages of `size` bytes to `topic` for the consume runs (fast: raw producer, no compression). */
export async function fillTopic(topic: string, size: number, count: number): Promise<void> {
  const kafka: Component = benchComponent(producerToml("fill", topic, "none"));
  try {
    await produceWithRaw(kafka.producerPropertiesOf("fill"), topic, new Payloads(size), count);
  } finally {
    await kafka.close();
  }
}
