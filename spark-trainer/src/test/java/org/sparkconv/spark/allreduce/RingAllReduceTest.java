package org.sparkconv.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;
import org.junit.jupiter.api.Test;

/**
 * The ring all-reduce over Spark's real network layer, peers in one JVM on 127.0.0.1: sums
 * against a plain double-precision sum, identical bits on every peer, a silent peer failing the
 * others within the timeout, and no way in without the token or the application's secret.
 */
class RingAllReduceTest {

  static final long TIMEOUT_MS = 20_000;

  /** Opens n peers, links them in a ring, runs {@code body} on each in its own thread. */
  static List<float[]> ring(int n, ExchangeSecurity security, List<float[]> inputs, int rounds)
      throws Exception {
    return ring(n, security, inputs, rounds, false);
  }

  /** The same; with {@code sharesThisJvm} peers hand each other slices without sockets. */
  static List<float[]> ring(int n, ExchangeSecurity security, List<float[]> inputs, int rounds,
      boolean sharesThisJvm) throws Exception {
    List<PeerExchange> peers = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      for (int i = 0; i < n; i++) {
        peers.add(sharesThisJvm ? PeerExchange.open("127.0.0.1", security, TIMEOUT_MS)
            : PeerExchange.openNetworkOnly("127.0.0.1", security, TIMEOUT_MS));
      }
      for (int i = 0; i < n; i++) {
        peers.get(i).connectTo(peers.get((i + 1) % n).contact());
      }
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int rank = i;
        results.add(pool.submit(() -> {
          float[] v = inputs.get(rank).clone();
          for (int r = 0; r < rounds; r++) {
            if (r > 0) {
              // Later rounds sum the previous result again: n^r times the plain sum.
              v = v.clone();
            }
            RingAllReduce.sum(v, rank, n, peers.get(rank), r);
          }
          return v;
        }));
      }
      List<float[]> out = new ArrayList<>();
      for (Future<float[]> f : results) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
      for (PeerExchange p : peers) {
        p.close();
      }
    }
  }

  static List<float[]> randomVectors(int n, int length, long seed) {
    Random random = new Random(seed);
    List<float[]> vs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[length];
      for (int j = 0; j < length; j++) {
        v[j] = (float) random.nextGaussian();
      }
      vs.add(v);
    }
    return vs;
  }

  @Test
  void sumsOverOneToFivePeersWithOddLengthsAndEveryPeerGetsTheSameBits() throws Exception {
    for (int n = 1; n <= 5; n++) {
      for (int length : new int[] {1, 3, 7, 1001, 62_007}) {
        List<float[]> inputs = randomVectors(n, length, 31L * n + length);
        List<float[]> out = ring(n, ExchangeSecurity.none(), inputs, 1);
        for (int j = 0; j < length; j++) {
          double expected = 0;
          for (float[] v : inputs) {
            expected += v[j];
          }
          assertEquals(expected, out.get(0)[j], 1e-5 * Math.max(1, Math.abs(expected)),
              n + " peers, length " + length + ", element " + j);
        }
        for (int i = 1; i < n; i++) {
          assertArrayEquals(out.get(0), out.get(i), "peer " + i + " of " + n + " differs");
        }
      }
    }
  }

  @Test
  void peersInOneJvmHandSlicesOverDirectlyWithTheSameResult() throws Exception {
    List<float[]> inputs = randomVectors(3, 1001, 5);
    List<float[]> network = ring(3, ExchangeSecurity.none(), inputs, 2, false);
    List<float[]> direct = ring(3, ExchangeSecurity.none(), inputs, 2, true);
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(network.get(i), direct.get(i), "peer " + i);
    }
  }

  @Test
  void consecutiveRoundsDoNotMixTheirMessages() throws Exception {
    List<float[]> inputs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      inputs.add(new float[] {1, 2, 3, 4, 5});
    }
    // Each round triples every element (3 peers holding the same vector): 3^4 = 81.
    List<float[]> out = ring(3, ExchangeSecurity.none(), inputs, 4);
    assertArrayEquals(new float[] {81, 162, 243, 324, 405}, out.get(2));
  }

  @Test
  void aPeerThatNeverAnswersFailsTheOthersWithinTheTimeout() {
    try (PeerExchange alive =
            PeerExchange.openNetworkOnly("127.0.0.1", ExchangeSecurity.none(), 1500);
        PeerExchange silent =
            PeerExchange.openNetworkOnly("127.0.0.1", ExchangeSecurity.none(), 1500)) {
      alive.connectTo(silent.contact());
      long start = System.nanoTime();
      PeerFailedException e = assertThrows(PeerFailedException.class,
          () -> RingAllReduce.sum(new float[100], 0, 2, alive, 0));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 10, "failed after " + seconds + " s");
      assertTrue(e.getMessage().contains("within 1500 ms"), e.getMessage());
    }
  }

  @Test
  void aMessageWithoutTheTokenIsRefusedAndChangesNothing() throws Exception {
    try (PeerExchange peer =
            PeerExchange.openNetworkOnly("127.0.0.1", ExchangeSecurity.none(), 5000);
        PeerExchange sender =
            PeerExchange.openNetworkOnly("127.0.0.1", ExchangeSecurity.none(), 5000);
        TransportContext context = new TransportContext(ExchangeSecurity.none().conf(),
            new NoOpRpcHandler());
        TransportClientFactory factory = context.createClientFactory()) {
      String[] address = peer.contact().split(" ")[0].split(":");
      TransportClient intruder = factory.createClient(address[0],
          Integer.parseInt(address[1]));
      ByteBuffer forged = ByteBuffer.allocate(16 + 8 + 4 * 3);
      forged.put(new byte[16]).putLong(0).putFloat(1e9f).putFloat(1e9f).putFloat(1e9f);
      forged.flip();
      assertThrows(RuntimeException.class, () -> intruder.sendRpcSync(forged, 5000));
      assertEquals(1, peer.refused());

      // The real message with the same tag still arrives untouched.
      sender.connectTo(peer.contact());
      sender.send(0, new float[] {1, 2, 3}, 0, 3);
      float[] got = new float[3];
      peer.receive(0, got, 0, 3, false);
      assertArrayEquals(new float[] {1, 2, 3}, got);
    }
  }

  record Secret(String value) implements SecretKeyHolder {
    @Override
    public String getSaslUser(String appId) {
      return "sparkSaslUser";
    }

    @Override
    public String getSecretKey(String appId) {
      return value;
    }
  }

  @Test
  void withAuthenticationOnlyPeersHoldingTheSecretConnect() throws Exception {
    for (boolean encrypt : new boolean[] {false, true}) {
      TransportConf conf = new TransportConf(ExchangeSecurity.MODULE, new MapConfigProvider(
          Map.of("spark.authenticate", "true",
              "spark.network.crypto.enabled", Boolean.toString(encrypt))));
      ExchangeSecurity right = new ExchangeSecurity(conf, "app-1", new Secret("s3cret"));
      ExchangeSecurity wrong = new ExchangeSecurity(conf, "app-1", new Secret("guess"));
      List<float[]> inputs = randomVectors(2, 1000, 7);
      List<float[]> out = ring(2, right, inputs, 1);
      assertEquals(inputs.get(0)[5] + inputs.get(1)[5], out.get(1)[5], 1e-6);

      try (PeerExchange peer = PeerExchange.openNetworkOnly("127.0.0.1", right, 5000);
          PeerExchange intruder = PeerExchange.openNetworkOnly("127.0.0.1", wrong, 5000)) {
        // Even holding the token, a client without the secret cannot connect.
        PeerFailedException e = assertThrows(PeerFailedException.class,
            () -> intruder.connectTo(peer.contact()));
        assertTrue(e.getMessage().startsWith("cannot connect to peer"), e.getMessage());
        assertEquals(0, peer.refused());
        try (TransportContext plain = new TransportContext(ExchangeSecurity.none().conf(),
            new NoOpRpcHandler()); TransportClientFactory factory =
            plain.createClientFactory(List.of(new AuthClientBootstrap(conf, "app-1",
                new Secret("guess"))))) {
          String[] address = peer.contact().split(" ")[0].split(":");
          assertThrows(Exception.class, () -> factory.createClient(address[0],
              Integer.parseInt(address[1])), "encrypt=" + encrypt);
        }
      }
    }
  }
}
