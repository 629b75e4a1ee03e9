// Command kgo plays the part of a Go service built on kafka-go (the library Go's Ego ekafka wraps) in
// the interop tests. Each subcommand does one thing and reports on stdout, one JSON object per line;
// kafka-go's own log lines go to stderr.
//
//	kgo produce  -brokers B -topic T                 writes "key<TAB>value" lines from stdin with kafka-go's Hash balancer
//	kgo traced   -brokers B -topic T -value V        writes one message carrying a new W3C trace context
//	kgo consume  -brokers B -topic T -group G -count N   reads N messages as a group member, committing each, then leaves
//	kgo member   -brokers B -topic T -group G        reads and commits as a group member until stdin closes
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: kgo produce|traced|consume|member [flags]"))
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	brokers := flags.String("brokers", "127.0.0.1:9091", "comma-separated bootstrap brokers")
	topic := flags.String("topic", "", "topic")
	group := flags.String("group", "", "consumer group")
	count := flags.Int("count", 0, "messages to read (consume)")
	value := flags.String("value", "", "message value (traced)")
	session := flags.Duration("session", 6*time.Second, "group session timeout")
	timeout := flags.Duration("timeout", 60*time.Second, "give up after this long")
	if err := flags.Parse(os.Args[2:]); err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	addrs := strings.Split(*brokers, ",")
	var err error
	switch os.Args[1] {
	case "produce":
		err = produce(ctx, addrs, *topic)
	case "traced":
		err = traced(ctx, addrs, *topic, *value)
	case "consume":
		err = consume(ctx, newReader(addrs, *topic, *group, *session), *count)
	case "member":
		err = member(ctx, newReader(addrs, *topic, *group, *session))
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kgo:", err)
	os.Exit(1)
}

// emit writes one report line.
func emit(fields map[string]any) {
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}

func newWriter(brokers []string, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 10 * time.Millisecond,
	}
}

// produce writes one message per stdin line "key<TAB>value", all in one call, with kafka-go's Hash balancer.
func produce(ctx context.Context, brokers []string, topic string) error {
	raw, err := readAll(os.Stdin)
	if err != nil {
		return err
	}
	var messages []kafka.Message
	for _, line := range strings.Split(strings.TrimRight(raw, "\n"), "\n") {
		if line == "" {
			continue
		}
		key, val, _ := strings.Cut(line, "\t")
		messages = append(messages, kafka.Message{Key: []byte(key), Value: []byte(val)})
	}
	w := newWriter(brokers, topic)
	defer w.Close()
	if err := w.WriteMessages(ctx, messages...); err != nil {
		return err
	}
	emit(map[string]any{"event": "written", "count": len(messages)})
	return nil
}

// traced starts a trace (a new trace id and span id, sampled), writes one message carrying it in a W3C
// traceparent header, the way an OpenTelemetry propagator writes it, and reports the ids.
func traced(ctx context.Context, brokers []string, topic, value string) error {
	traceID, spanID := randomHex(16), randomHex(8)
	header := fmt.Sprintf("00-%s-%s-01", traceID, spanID)
	w := newWriter(brokers, topic)
	defer w.Close()
	msg := kafka.Message{Value: []byte(value), Headers: []kafka.Header{{Key: "traceparent", Value: []byte(header)}}}
	if err := w.WriteMessages(ctx, msg); err != nil {
		return err
	}
	emit(map[string]any{"event": "written", "traceId": traceID, "spanId": spanID})
	return nil
}

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", b)
}

func newReader(brokers []string, topic, group string, session time.Duration) *kafka.Reader {
	logTo := func(level string) kafka.LoggerFunc {
		return func(format string, args ...any) {
			line, _ := json.Marshal(map[string]any{"level": level, "msg": fmt.Sprintf(format, args...)})
			fmt.Fprintln(os.Stderr, string(line))
		}
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           brokers,
		Topic:             topic,
		GroupID:           group,
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    session,
		HeartbeatInterval: session / 6,
		RebalanceTimeout:  session,
		JoinGroupBackoff:  500 * time.Millisecond,
		MaxWait:           250 * time.Millisecond,
		Logger:            logTo("info"),
		ErrorLogger:       logTo("error"),
	})
}

// report writes what a message carried: where it was, its key and value, and its traceparent if any.
func report(m kafka.Message) {
	fields := map[string]any{"event": "message", "partition": m.Partition, "offset": m.Offset, "key": string(m.Key), "value": string(m.Value)}
	for _, h := range m.Headers {
		if strings.EqualFold(h.Key, "traceparent") {
			fields["traceparent"] = string(h.Value)
		}
	}
	emit(fields)
}

// consume reads count messages; ReadMessage commits each one synchronously (CommitInterval 0), so the
// group's committed offsets are exactly the messages reported. Close leaves the group.
func consume(ctx context.Context, r *kafka.Reader, count int) error {
	defer r.Close()
	for i := 0; i < count; i++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return fmt.Errorf("after %d messages: %w", i, err)
		}
		report(m)
	}
	emit(map[string]any{"event": "done", "count": count})
	return nil
}

// member reads and commits until stdin closes (or SIGTERM), then leaves the group.
func member(ctx context.Context, r *kafka.Reader) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = readAll(os.Stdin)
		cancel()
	}()
	emit(map[string]any{"event": "started"})
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			emit(map[string]any{"event": "error", "error": err.Error()})
			continue
		}
		report(m)
	}
	err := r.Close()
	emit(map[string]any{"event": "closed"})
	return err
}

func readAll(f *os.File) (string, error) {
	b, err := io.ReadAll(f)
	return string(b), err
}
