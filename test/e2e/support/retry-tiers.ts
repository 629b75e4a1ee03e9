// The configuration of the retry-tier fault tests (retry-tiers-faults, retry-tiers-kill): server `s1`
// reading `topic` as group `groupID`, with retry tiers written by producer `retry`.
import { brokers } from "./env.js";

/** The config of server `s1` with retry tiers on `topic`, writing them with producer `retry`. */
export function tierToml(topic: string, groupID: string, delays: string[]): string {
  return `
[kafka]
brokers = ${JSON.stringify(brokers)}
[kafka.client]
timeout = "10s"
[kafka.producers.retry]
requiredAcks = -1
batchTimeout = "1ms"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
commitInterval = "1s"
heartbeatInterval = "500ms"
sessionTimeout = "6s"
rebalanceTimeout = "60s"  # also max.poll.interval.ms: a write held up by the outage must not cost the assignment
maxWait = "100ms"
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
retryProducer = "retry"
retryDelays = ${JSON.stringify(delays)}
`;
}
