package org.sparkconv.spark.allreduce;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.RpcResponseCallback;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.server.OneForOneStreamManager;
import org.apache.spark.network.server.RpcHandler;
import org.apache.spark.network.server.StreamManager;
import org.apache.spark.network.server.TransportServer;

/**
 * Where the peers of an all-reduce job learn each other's contacts: a small server on the
 * driver, alive for the whole training run. Each task sends its rank and contact; the reply,
 * sent to all of them the moment the last one arrives, lists every contact in rank order.
 *
 * <p>Spark's own {@code BarrierTaskContext.allGather} does the same, but its tasks poll for
 * the answer once a second, which costs every job about a second; here the answer is pushed.
 * Messages must carry the run's random token (it travels to the tasks inside the job's
 * closure); connections are authenticated as Spark's are when {@code spark.authenticate} is on.
 *
 * <p>Message: {@code token[16] | meeting (long) | rank (int) | peers (int) | contact (UTF-8)}.
 * A meeting is one attempt of one job; a newer meeting fails what is left of older ones.
 */
public final class Rendezvous implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] token = new byte[16];
  private final TransportContext context;
  private final TransportServer server;
  private final String host;
  private final Map<Long, Meeting> meetings = new TreeMap<>();
  /** The newest meeting any peer has asked for, and the newest one that completed. */
  private long newestMeeting = Long.MIN_VALUE;
  private long newestCompleted = Long.MIN_VALUE;
  private long nextJob;

  private Rendezvous(String host, ExchangeSecurity security) {
    RANDOM.nextBytes(token);
    this.host = host;
    this.context = new TransportContext(security.conf(), new Handler());
    this.server = context.createServer(host, 0, security.serverBootstraps());
  }

  /** Listens on a free port of {@code host} (the driver's address). */
  public static Rendezvous open(String host, ExchangeSecurity security) {
    return new Rendezvous(host, security);
  }

  /** Where tasks find it and what they must show: {@code host:port token}. */
  public String contact() {
    return host + ":" + server.getPort() + " " + Base64.getEncoder().encodeToString(token);
  }

  /**
   * The first meeting id of the next job; its attempts add their attempt number (below
   * {@link #ATTEMPTS}), so every attempt meets apart and a newer one ends older ones.
   */
  public synchronized long nextJob() {
    return ATTEMPTS * ++nextJob;
  }

  /** Attempts of one job that get meetings of their own. */
  public static final long ATTEMPTS = 1024;

  /** The message a peer sends to meet the others (see {@link PeerExchange#meet}). */
  static ByteBuffer request(byte[] token, long meeting, int rank, int peers, String contact) {
    byte[] text = contact.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(16 + 8 + 4 + 4 + text.length);
    b.put(token).putLong(meeting).putInt(rank).putInt(peers).put(text);
    return b.flip();
  }

  @Override
  public void close() {
    synchronized (meetings) {
      for (Meeting m : meetings.values()) {
        m.fail("the driver closed the rendezvous");
      }
      meetings.clear();
    }
    server.close();
    context.close();
  }

  /** The contacts of one meeting so far, and the callbacks waiting for the rest. */
  private static final class Meeting {
    final String[] contacts;
    final RpcResponseCallback[] waiting;
    int arrived;

    Meeting(int peers) {
      contacts = new String[peers];
      waiting = new RpcResponseCallback[peers];
    }

    void fail(String why) {
      for (RpcResponseCallback c : waiting) {
        if (c != null) {
          c.onFailure(new IllegalStateException(why));
        }
      }
    }
  }

  private final class Handler extends RpcHandler {
    private final StreamManager streams = new OneForOneStreamManager();

    @Override
    public void receive(TransportClient client, ByteBuffer message,
        RpcResponseCallback callback) {
      ByteBuffer in = message.duplicate();
      byte[] claimed = new byte[16];
      if (in.remaining() < 32) {
        refuse(client, callback);
        return;
      }
      in.get(claimed);
      if (!MessageDigest.isEqual(token, claimed)) {
        refuse(client, callback);
        return;
      }
      long id = in.getLong();
      int rank = in.getInt();
      int peers = in.getInt();
      byte[] text = new byte[in.remaining()];
      in.get(text);
      if (peers < 1 || rank < 0 || rank >= peers) {
        callback.onFailure(new IllegalArgumentException("rank " + rank + " of " + peers));
        return;
      }
      synchronized (meetings) {
        // A peer of an attempt that is over (a newer one began, or it met in full already)
        // is told at once rather than left waiting for peers that will never come.
        if (id < newestMeeting || id <= newestCompleted) {
          callback.onFailure(new IllegalStateException("meeting " + id + " is over: "
              + (id < newestMeeting ? "a newer attempt replaced this one" : "it already met")));
          return;
        }
        newestMeeting = id;
        // Meetings of earlier jobs or attempts that never completed will not now.
        for (Iterator<Map.Entry<Long, Meeting>> it = meetings.entrySet().iterator();
            it.hasNext(); ) {
          Map.Entry<Long, Meeting> e = it.next();
          if (e.getKey() < id) {
            e.getValue().fail("a newer attempt replaced this one");
            it.remove();
          }
        }
        Meeting m = meetings.computeIfAbsent(id, k -> new Meeting(peers));
        if (m.contacts.length != peers) {
          callback.onFailure(new IllegalStateException("meeting " + id + " has "
              + m.contacts.length + " peers, not " + peers));
          return;
        }
        if (m.waiting[rank] != null) {
          m.waiting[rank].onFailure(new IllegalStateException("rank " + rank + " came again"));
        } else {
          m.arrived++;
        }
        m.contacts[rank] = new String(text, StandardCharsets.UTF_8);
        m.waiting[rank] = callback;
        if (m.arrived == peers) {
          meetings.remove(id);
          newestCompleted = id;
          byte[] all = String.join("\n", m.contacts).getBytes(StandardCharsets.UTF_8);
          for (RpcResponseCallback c : m.waiting) {
            c.onSuccess(ByteBuffer.wrap(all));
          }
        }
      }
    }

    private void refuse(TransportClient client, RpcResponseCallback callback) {
      callback.onFailure(new SecurityException("refused: not a peer of this training run"));
      client.close();
    }

    @Override
    public StreamManager getStreamManager() {
      return streams;
    }
  }
}
