package eventlens.peers;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The scaling <-> latency enrichment of eventlens as a Kafka Streams
 * application: each scaling event joined with its service's latency samples
 * (the p95 summary quantile) over the same windows eventlens uses (10 min
 * before; 10 min after a 2 min settle), with the same summaries (n, mean,
 * p50, p95, min, max), emitted once event time passes the after window.
 * exactly_once_v2; both stores changelogged. Event time is the records'
 * own "time" field, as in eventlens.
 *
 * <p>Usage: ScalingLatencyJoin BOOTSTRAP TOPIC_PREFIX APPLICATION_ID EXPECTED_RECORDS. Exits once it has
 * processed EXPECTED_RECORDS input records, printing "records N seconds S".
 */
public final class ScalingLatencyJoin {
  static final long BEFORE_MS = 10 * 60_000L;
  static final long SETTLE_MS = 2 * 60_000L;
  static final long AFTER_MS = 10 * 60_000L;

  static final AtomicLong processed = new AtomicLong();

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ScalingLatencyJoin BOOTSTRAP TOPIC_PREFIX APPLICATION_ID EXPECTED_RECORDS");
      System.exit(2);
    }
    final String prefix = args[1];
    final long expected = Long.parseLong(args[3]);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[2]);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/eventlens-ks-" + args[2]);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    Topology t = new Topology();
    t.addSource("events", Serdes.String().deserializer(), Serdes.String().deserializer(), prefix + "scaling_events");
    t.addSource("metrics", Serdes.String().deserializer(), Serdes.String().deserializer(), prefix + "metrics");
    t.addProcessor("join", Join::new, "events", "metrics");
    t.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("samples"), Serdes.String(), Serdes.Double()),
        "join");
    t.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("pending"), Serdes.String(), Serdes.String()),
        "join");
    t.addSink("out", prefix + "ks_enriched", Serdes.String().serializer(), Serdes.String().serializer(), "join");

    KafkaStreams streams = new KafkaStreams(t, p);
    final long start = System.nanoTime();
    streams.start();
    while (processed.get() < expected) Thread.sleep(20);
    final double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println("records " + processed.get() + " seconds " + seconds);
    System.out.flush();
    streams.close(Duration.ofSeconds(30));
    streams.cleanUp();
  }

  /** A JSON string field's value (the first occurrence), or null. */
  static String field(String json, String key) {
    String look = "\"" + key + "\":\"";
    int at = json.indexOf(look);
    if (at < 0) return null;
    int from = at + look.length();
    return json.substring(from, json.indexOf('"', from));
  }

  static String pad(long ms) {
    return String.format("%016d", ms);
  }

  static final class Join implements Processor<String, String, String, String> {
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, Double> samples;
    private KeyValueStore<String, String> pending;
    private long newest = Long.MIN_VALUE;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      this.samples = context.getStateStore("samples");
      this.pending = context.getStateStore("pending");
    }

    @Override
    public void process(Record<String, String> r) {
      processed.incrementAndGet();
      String json = r.value();
      if (json == null) return;
      String time = field(json, "time");
      String service = field(json, "service");
      if (time == null || service == null) return;
      long t = Instant.parse(time).toEpochMilli();
      newest = Math.max(newest, t);
      if (json.contains("\"category\":\"scaling\"")) {
        String id = field(json, "id");
        pending.put(pad(t + SETTLE_MS + AFTER_MS) + "|" + id, service + "|" + t);
      } else if (json.startsWith("{\"name\":\"http_request_duration_seconds\"")
          && json.contains("\"quantile\":\"0.95\"")) {
        int v = json.indexOf("\"value\":");
        double value = Double.parseDouble(json.substring(v + 8, json.indexOf('}', v)));
        samples.put(service + "|" + pad(t) + "|" + json.hashCode(), value);
      } else {
        return;
      }
      emitDue();
    }

    /** Events whose after window event time has passed: joined, summarized, forwarded. */
    private void emitDue() {
      List<KeyValue<String, String>> due = new ArrayList<>();
      try (KeyValueIterator<String, String> it = pending.range(pad(0), pad(newest) + "|~")) {
        while (it.hasNext()) due.add(it.next());
      }
      for (KeyValue<String, String> e : due) {
        String[] parts = e.value.split("\\|");
        String service = parts[0];
        long t = Long.parseLong(parts[1]);
        String id = e.key.substring(e.key.indexOf('|') + 1);
        String before = summary(service, t - BEFORE_MS, t);
        String after = summary(service, t + SETTLE_MS, t + SETTLE_MS + AFTER_MS);
        context.forward(new Record<>(service,
            "{\"event_id\":\"" + id + "\",\"service\":\"" + service + "\",\"before\":" + before + ",\"after\":" + after
                + "}",
            context.currentStreamTimeMs()));
        pending.delete(e.key);
        // Samples no later event of this service needs any more (events come
        // in time order: the next one's before window starts after this one's).
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, Double> it = samples.range(service + "|", service + "|" + pad(t - BEFORE_MS))) {
          while (it.hasNext()) old.add(it.next().key);
        }
        for (String k : old) samples.delete(k);
      }
    }

    private String summary(String service, long from, long to) {
      List<Double> v = new ArrayList<>();
      try (KeyValueIterator<String, Double> it = samples.range(service + "|" + pad(from), service + "|" + pad(to))) {
        while (it.hasNext()) v.add(it.next().value);
      }
      if (v.isEmpty()) return "{\"n\":0}";
      Collections.sort(v);
      double sum = 0;
      for (double x : v) sum += x;
      int n = v.size();
      return "{\"n\":" + n + ",\"mean\":" + sum / n + ",\"p50\":" + v.get((int) Math.round(0.5 * (n - 1)))
          + ",\"p95\":" + v.get((int) Math.round(0.95 * (n - 1))) + ",\"min\":" + v.get(0) + ",\"max\":"
          + v.get(n - 1) + "}";
    }
  }
}
