package org.sparkconv.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Peers meeting at the driver's rendezvous: all get every contact in rank order as soon as the
 * last arrives; a wrong token gets nothing; a newer attempt ends an older, incomplete one; a
 * peer of an attempt that is already over is told at once.
 */
class RendezvousTest {

  @Test
  void threePeersLearnEveryContactInRankOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<PeerExchange> peers = new ArrayList<>();
    try (Rendezvous rendezvous = Rendezvous.open("127.0.0.1", ExchangeSecurity.none())) {
      for (int i = 0; i < 3; i++) {
        peers.add(peer(10_000));
      }
      long job = rendezvous.nextJob();
      List<Future<String[]>> met = new ArrayList<>();
      for (int i = 2; i >= 0; i--) {
        int rank = i;
        met.add(pool.submit(() -> peers.get(rank).meet(rendezvous.contact(), job, rank, 3)));
      }
      String[] expected = peers.stream().map(PeerExchange::contact).toArray(String[]::new);
      for (Future<String[]> f : met) {
        assertArrayEquals(expected, f.get(20, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      peers.forEach(PeerExchange::close);
    }
  }

  @Test
  void aWrongTokenIsRefused() {
    try (Rendezvous rendezvous = Rendezvous.open("127.0.0.1", ExchangeSecurity.none());
        PeerExchange peer = peer(5_000)) {
      String forged = rendezvous.contact().split(" ")[0] + " AAAAAAAAAAAAAAAAAAAAAA==";
      PeerFailedException e = assertThrows(PeerFailedException.class,
          () -> peer.meet(forged, rendezvous.nextJob(), 0, 1));
      assertTrue(e.getMessage().contains("not a peer of this training run"), e.getMessage());
    }
  }

  @Test
  void aNewerAttemptEndsAnOlderIncompleteOne() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Rendezvous rendezvous = Rendezvous.open("127.0.0.1", ExchangeSecurity.none());
        PeerExchange stale = peer(20_000);
        PeerExchange fresh = peer(20_000)) {
      long job = rendezvous.nextJob();
      Future<String[]> waiting = pool.submit(() -> stale.meet(rendezvous.contact(), job, 0, 2));
      Thread.sleep(300);
      long start = System.nanoTime();
      assertArrayEquals(new String[] {fresh.contact()},
          fresh.meet(rendezvous.contact(), job + 1, 0, 1));
      Exception e = assertThrows(Exception.class, () -> waiting.get(20, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof PeerFailedException
          && e.getCause().getMessage().contains("newer attempt"), String.valueOf(e.getCause()));
      assertTrue((System.nanoTime() - start) / 1e9 < 10, "the stale peer is told at once");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aPeerOfAnAttemptThatIsOverIsToldAtOnce() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Rendezvous rendezvous = Rendezvous.open("127.0.0.1", ExchangeSecurity.none());
        PeerExchange late = peer(20_000);
        PeerExchange first = peer(20_000);
        PeerExchange second = peer(20_000)) {
      long job = rendezvous.nextJob();
      Future<String[]> newer = pool.submit(() -> first.meet(rendezvous.contact(), job + 1, 0, 2));
      Thread.sleep(300);
      long start = System.nanoTime();
      // An older attempt's peer arriving while the newer one meets (in either order, it is told).
      PeerFailedException older = assertThrows(PeerFailedException.class,
          () -> late.meet(rendezvous.contact(), job, 0, 2));
      assertTrue(older.getMessage().contains("newer attempt"), older.getMessage());
      String[] both = {first.contact(), second.contact()};
      assertArrayEquals(both, second.meet(rendezvous.contact(), job + 1, 1, 2));
      assertArrayEquals(both, newer.get(20, TimeUnit.SECONDS));
      // After the newer attempt met: an older one's peer, and a peer of the met one again.
      PeerFailedException after = assertThrows(PeerFailedException.class,
          () -> late.meet(rendezvous.contact(), job, 1, 2));
      assertTrue(after.getMessage().contains("newer attempt"), after.getMessage());
      PeerFailedException again = assertThrows(PeerFailedException.class,
          () -> late.meet(rendezvous.contact(), job + 1, 0, 2));
      assertTrue(again.getMessage().contains("already met"), again.getMessage());
      assertTrue((System.nanoTime() - start) / 1e9 < 10, "each is told at once");
    } finally {
      pool.shutdownNow();
    }
  }

  private static PeerExchange peer(int timeoutMillis) {
    return PeerExchange.openNetworkOnly("127.0.0.1", ExchangeSecurity.none(), timeoutMillis);
  }
}
