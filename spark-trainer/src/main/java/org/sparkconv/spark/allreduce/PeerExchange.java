package org.sparkconv.spark.allreduce;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.RpcResponseCallback;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.server.OneForOneStreamManager;
import org.apache.spark.network.server.RpcHandler;
import org.apache.spark.network.server.StreamManager;
import org.apache.spark.network.server.TransportServer;

/**
 * One peer's end of a ring: a server of Spark's network layer that takes slices of float
 * vectors from the peer before it, and a client to the peer after it. Every message carries
 * the receiving peer's random token (16 bytes, made when the peer opens and handed to the
 * others through the driver's {@link Rendezvous}); a message without it is refused, its
 * connection closed, and nothing it carried is kept. Every wait has a timeout, so a peer that
 * died or hangs fails this one instead of stalling the job.
 *
 * <p>Message: {@code token[16] | tag (long) | floats (little-endian)}. A next peer in the
 * same JVM (several tasks per executor) is handed its slices directly instead.
 */
public final class PeerExchange implements RingLink, AutoCloseable {

  private static final int TOKEN_BYTES = 16;
  private static final int HEADER = TOKEN_BYTES + Long.BYTES;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long SLICE_MILLIS = 100;
  /** The open exchanges of this JVM by address: peers here are handed slices directly. */
  private static final ConcurrentHashMap<String, PeerExchange> IN_THIS_JVM =
      new ConcurrentHashMap<>();

  private final byte[] token = new byte[TOKEN_BYTES];
  private final ConcurrentHashMap<Long, CompletableFuture<float[]>> inbox =
      new ConcurrentHashMap<>();
  private final AtomicLong refused = new AtomicLong();
  private final long timeoutMillis;
  private final TransportContext context;
  private final TransportServer server;
  private final TransportClientFactory clients;
  private final String host;
  private TransportClient next;
  private byte[] nextToken;
  private String nextAddress;
  private CompletableFuture<ByteBuffer> pendingSend;
  private PeerExchange nextInThisJvm;
  private final boolean sharesThisJvm;
  private Runnable cancellation = () -> { };

  private PeerExchange(String host, ExchangeSecurity security, long timeoutMillis,
      boolean sharesThisJvm) {
    RANDOM.nextBytes(token);
    this.host = host;
    this.timeoutMillis = timeoutMillis;
    this.context = new TransportContext(security.conf(), new Handler());
    this.server = context.createServer(host, 0, security.serverBootstraps());
    this.clients = context.createClientFactory(security.clientBootstraps());
    this.sharesThisJvm = sharesThisJvm;
    if (sharesThisJvm) {
      IN_THIS_JVM.put(address(), this);
    }
  }

  private String address() {
    return host + ":" + server.getPort();
  }

  /** Listens on a free port of {@code host}; every exchange waits at most the timeout. */
  public static PeerExchange open(String host, ExchangeSecurity security, long timeoutMillis) {
    return new PeerExchange(host, security, timeoutMillis, true);
  }

  /** One that always goes over the network, even to peers in this JVM (tests). */
  static PeerExchange openNetworkOnly(String host, ExchangeSecurity security,
      long timeoutMillis) {
    return new PeerExchange(host, security, timeoutMillis, false);
  }

  /** What the other peers need to send here: {@code host:port token}. */
  public String contact() {
    return address() + " " + Base64.getEncoder().encodeToString(token);
  }

  /** A contact as {@link #contact()} and {@link Rendezvous#contact()} write it. */
  private record Contact(String address, String host, int port, byte[] token) {
    static Contact parse(String contact) {
      String[] parts = contact.split(" ");
      int colon = parts[0].lastIndexOf(':');
      return new Contact(parts[0], parts[0].substring(0, colon),
          Integer.parseInt(parts[0].substring(colon + 1)), Base64.getDecoder().decode(parts[1]));
    }
  }

  /** Connects to the peer whose {@link #contact()} is {@code contact}, the one to send to. */
  public void connectTo(String contact) {
    Contact peer = Contact.parse(contact);
    nextAddress = peer.address();
    nextToken = peer.token();
    PeerExchange here = sharesThisJvm ? IN_THIS_JVM.get(nextAddress) : null;
    nextInThisJvm = here != null && MessageDigest.isEqual(here.token, nextToken) ? here : null;
    if (nextInThisJvm != null) {
      return;
    }
    try {
      next = clients.createClient(peer.host(), peer.port());
    } catch (IOException | RuntimeException e) {
      // A failed authentication (wrong secret) arrives as a RuntimeException.
      throw new PeerFailedException("cannot connect to peer " + nextAddress + ": "
          + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PeerFailedException("interrupted connecting to peer " + nextAddress, e);
    }
  }

  /**
   * Meets the other peers of meeting {@code meeting} at the {@link Rendezvous} whose contact is
   * {@code rendezvous}, and returns every peer's {@link #contact()} in rank order.
   */
  public String[] meet(String rendezvous, long meeting, int rank, int peers) {
    Contact driver = Contact.parse(rendezvous);
    try {
      ByteBuffer reply = await(rpc(clients.createClient(driver.host(), driver.port()),
          Rendezvous.request(driver.token(), meeting, rank, peers, contact())),
          "meeting the other peers at " + driver.address());
      byte[] text = new byte[reply.remaining()];
      reply.get(text);
      String[] contacts = new String(text, java.nio.charset.StandardCharsets.UTF_8).split("\\n");
      if (contacts.length != peers) {
        throw new PeerFailedException("the rendezvous returned " + contacts.length
            + " contacts for " + peers + " peers");
      }
      return contacts;
    } catch (IOException | RuntimeException e) {
      if (e instanceof PeerFailedException p) {
        throw p;
      }
      throw new PeerFailedException("meeting the other peers at " + driver.address()
          + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PeerFailedException("interrupted meeting the other peers", e);
    }
  }

  /** Sends {@code message}; the future completes with a copy of the reply, or the failure. */
  private static CompletableFuture<ByteBuffer> rpc(TransportClient client, ByteBuffer message) {
    CompletableFuture<ByteBuffer> reply = new CompletableFuture<>();
    client.sendRpc(message, new RpcResponseCallback() {
      @Override
      public void onSuccess(ByteBuffer response) {
        // Only valid during the call: copied out.
        ByteBuffer copy = ByteBuffer.allocate(response.remaining());
        copy.put(response.duplicate()).flip();
        reply.complete(copy);
      }

      @Override
      public void onFailure(Throwable e) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  /** Messages refused for a missing or wrong token so far. */
  public long refused() {
    return refused.get();
  }

  /** Forgets messages nobody will read (left by a job that ended early). */
  void discardUnread() {
    inbox.clear();
  }

  /**
   * Sends without waiting: the next peer's acknowledgement is awaited by the following
   * {@link #receive}, so the transfer out overlaps the wait for the transfer in.
   */
  @Override
  public void send(long tag, float[] source, int from, int length) {
    awaitSent();
    if (nextInThisJvm != null) {
      // A peer in the same executor: the slice is copied into its inbox, no socket involved.
      nextInThisJvm.slot(tag).complete(java.util.Arrays.copyOfRange(source, from,
          from + length));
      return;
    }
    ByteBuffer message = ByteBuffer.allocate(HEADER + Float.BYTES * length)
        .order(ByteOrder.LITTLE_ENDIAN);
    message.put(nextToken).putLong(tag);
    message.asFloatBuffer().put(source, from, length);
    message.position(0);
    pendingSend = rpc(next, message);
  }

  /** Waits for the acknowledgement of the last message sent, if any. */
  private void awaitSent() {
    CompletableFuture<ByteBuffer> sent = pendingSend;
    if (sent == null) {
      return;
    }
    pendingSend = null;
    await(sent, "sending to peer " + nextAddress + " failed or was not acknowledged");
  }

  /**
   * Waits for {@code result} at most the timeout, in slices: between them it gives up at once
   * when the message last sent has failed (the next peer is gone) or when {@link #cancelWhen}'s
   * check throws (Spark killed the task: a peer elsewhere failed and the stage is over).
   */
  private <T> T await(CompletableFuture<T> result, String what) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (true) {
      try {
        return result.get(Math.min(SLICE_MILLIS, Math.max(1, (deadline - System.nanoTime())
            / 1_000_000)), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        CompletableFuture<ByteBuffer> sent = pendingSend;
        if (sent != null && sent != result && sent.isCompletedExceptionally()) {
          awaitSent();
        }
        cancellation.run();
        if (System.nanoTime() > deadline) {
          throw new PeerFailedException(what + " within " + timeoutMillis + " ms: the peer"
              + " died or hangs", e);
        }
      } catch (ExecutionException e) {
        throw new PeerFailedException(what + ": " + e.getCause().getMessage(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PeerFailedException("interrupted: " + what, e);
      }
    }
  }

  /**
   * Runs {@code check} between slices of every wait; it throws to abandon the wait (in a Spark
   * task: {@code killTaskIfInterrupted}).
   */
  public void cancelWhen(Runnable check) {
    this.cancellation = check;
  }

  @Override
  public void receive(long tag, float[] target, int from, int length, boolean add) {
    float[] slice;
    try {
      slice = await(slot(tag), "no data from the previous peer in the ring (message " + tag
          + ")");
    } finally {
      inbox.remove(tag);
    }
    awaitSent();
    if (slice.length != length) {
      throw new PeerFailedException("message " + tag + " holds " + slice.length
          + " floats where " + length + " were expected: peers disagree on the vector");
    }
    if (add) {
      for (int i = 0; i < length; i++) {
        target[from + i] += slice[i];
      }
    } else {
      System.arraycopy(slice, 0, target, from, length);
    }
  }

  private CompletableFuture<float[]> slot(long tag) {
    return inbox.computeIfAbsent(tag, t -> new CompletableFuture<>());
  }

  @Override
  public void close() {
    IN_THIS_JVM.remove(address(), this);
    if (next != null) {
      next.close();
    }
    clients.close();
    server.close();
    context.close();
  }

  /** Takes slices carrying this peer's token; refuses and disconnects anything else. */
  private final class Handler extends RpcHandler {
    private final StreamManager streams = new OneForOneStreamManager();

    @Override
    public void receive(TransportClient client, ByteBuffer message,
        RpcResponseCallback callback) {
      // The buffer is only valid during this call: everything kept is copied out.
      ByteBuffer in = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      byte[] claimed = new byte[TOKEN_BYTES];
      if (in.remaining() < HEADER || (in.remaining() - HEADER) % Float.BYTES != 0
          || !MessageDigest.isEqual(token, read(in, claimed))) {
        refused.incrementAndGet();
        callback.onFailure(new SecurityException("refused: not a message of this job"));
        client.close();
        return;
      }
      long tag = in.getLong();
      float[] slice = new float[in.remaining() / Float.BYTES];
      in.asFloatBuffer().get(slice);
      slot(tag).complete(slice);
      callback.onSuccess(ByteBuffer.allocate(0));
    }

    private static byte[] read(ByteBuffer in, byte[] into) {
      in.get(into);
      return into;
    }

    @Override
    public StreamManager getStreamManager() {
      return streams;
    }
  }
}
