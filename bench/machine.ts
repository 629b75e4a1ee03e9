import { cpus, loadavg, totalmem } from "node:os";
import kafka from "@confluentinc/kafka-javascript";

/** What the numbers were measured on, for the table's header. */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown CPU";
  const memory = (totalmem() / 1024 ** 3).toFixed(1);
  return `${model}, ${cores.length} cores, ${memory} GiB memory, Node ${process.version}, librdkafka ${kafka.librdkafkaVersion}, ${process.platform}/${process.arch}`;
}

/** The 1-minute load average: on a 2-core machine anything much above 2 means other work competed. */
export function loadAverage(): string {
  return loadavg()[0]!.toFixed(2);
}
