package org.sparkconv.spark.allreduce;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The open exchanges of one executor JVM between the jobs of a training run, so that each job
 * of a run does not start a network server, its threads and its connections again (measured:
 * about 100 ms a job between two executor JVMs). Keyed by the run's rendezvous; borrowing for
 * a new run closes what earlier runs left idle. An exchange whose task failed is closed, never
 * given back.
 */
public final class ExchangePool {

  private static final Map<String, Deque<PeerExchange>> IDLE = new HashMap<>();

  private ExchangePool() {}

  /** An idle exchange of the run meeting at {@code rendezvous}, or a newly opened one. */
  public static synchronized PeerExchange borrow(String rendezvous, String host,
      Supplier<ExchangeSecurity> security, long timeoutMillis) {
    for (Iterator<Map.Entry<String, Deque<PeerExchange>>> it = IDLE.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Deque<PeerExchange>> e = it.next();
      if (!e.getKey().equals(rendezvous)) {
        e.getValue().forEach(PeerExchange::close);
        it.remove();
      }
    }
    Deque<PeerExchange> idle = IDLE.get(rendezvous);
    PeerExchange exchange = idle == null ? null : idle.poll();
    if (exchange != null) {
      exchange.discardUnread();
      return exchange;
    }
    return PeerExchange.open(host, security.get(), timeoutMillis);
  }

  /** Gives back an exchange whose job ended well, for the run's next job in this JVM. */
  public static synchronized void giveBack(String rendezvous, PeerExchange exchange) {
    IDLE.computeIfAbsent(rendezvous, k -> new ArrayDeque<>()).push(exchange);
  }
}
