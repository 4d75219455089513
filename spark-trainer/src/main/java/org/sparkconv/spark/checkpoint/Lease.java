package org.sparkconv.spark.checkpoint;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One live job per checkpoint directory: a {@code _lease} file naming its holder, rewritten by a
 * daemon thread every quarter of the lease time. A second job finds a fresh lease and is refused,
 * naming the holder; a lease not renewed for the whole lease time belongs to a job that died, and
 * is taken over with a warning. Released (deleted) when the holder's run ends.
 */
final class Lease implements AutoCloseable {

  static final String NAME = "_lease";

  private final FileSystem fs;
  private final Path file;
  private final String holder;
  private final ScheduledExecutorService renewer;

  private Lease(FileSystem fs, Path file, String holder, long seconds) {
    this.fs = fs;
    this.file = file;
    this.holder = holder;
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkconv-checkpoint-lease");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, seconds * 1000 / 4);
    renewer.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lease on {@code dir} for {@code holder}; fails naming the other job when a fresh
   * lease (renewed within {@code seconds}) is held by someone else, unless {@code force}.
   */
  static Lease acquire(Path dir, String holder, long seconds, boolean force, Configuration conf,
      PrintStream log) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    fs.mkdirs(dir);
    Path file = new Path(dir, NAME);
    FileStatus existing = status(fs, file);
    if (existing != null) {
      String other = read(fs, file);
      long age = (System.currentTimeMillis() - existing.getModificationTime()) / 1000;
      if (!other.equals(holder) && age < seconds && !force) {
        throw new IllegalStateException("checkpoint dir " + dir + " is in use by another job: "
            + other + " (lease renewed " + age + " s ago). Point checkpoint.dir elsewhere; if"
            + " that job is dead, its lease expires " + (seconds - age) + " s from now, or pass"
            + " --set checkpoint.force=true");
      }
      if (!other.equals(holder)) {
        log.println("checkpoint: taking over the lease on " + dir + " from " + other
            + (age >= seconds ? " (not renewed for " + age + " s)" : " (checkpoint.force)"));
      }
      fs.delete(file, false);
    }
    write(fs, file, holder, false);
    return new Lease(fs, file, holder, seconds);
  }

  private void renew() {
    try {
      write(fs, file, holder, true);
    } catch (IOException | RuntimeException e) {
      // The next renewal tries again; a lease that lapses is taken over, not corrupted.
    }
  }

  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      if (holder.equals(read(fs, file))) {
        fs.delete(file, false);
      }
    } catch (IOException | RuntimeException e) {
      // Left behind, it expires on its own.
    }
  }

  private static void write(FileSystem fs, Path file, String holder, boolean overwrite)
      throws IOException {
    try (FSDataOutputStream out = fs.create(file, overwrite)) {
      out.write(holder.getBytes(StandardCharsets.UTF_8));
      out.hsync();
    }
  }

  private static String read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      return "";
    }
  }

  private static FileStatus status(FileSystem fs, Path file) throws IOException {
    try {
      return fs.getFileStatus(file);
    } catch (FileNotFoundException e) {
      return null;
    }
  }
}
