package org.sparkconv.spark.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.SpecJson;

/**
 * Idle pooled workers give their memory back when a later task needs it. Each run is a JVM of
 * its own with a 400 MB heap: six workers of a model with 8.4M parameters (~42 MB each of
 * parameters, gradients and buffers) are given back to the pool, then the "next task" allocates
 * 200 MB. The same run holding the workers itself, as a pool without soft references did, must
 * run out of memory: that shows the sizes leave no room unless the pool lets go.
 */
class IdleWorkersMemoryTest {

  private static final int WORKERS = 6;
  private static final int NEXT_TASK_MB = 200;

  @Test
  void idleWorkersMakeWayForALaterTask() throws Exception {
    Run pooled = run("pool");
    assertEquals(0, pooled.exit, "the later task found memory:\n" + pooled.output);
    assertTrue(pooled.output.contains("next task allocated " + NEXT_TASK_MB + " MB"),
        pooled.output);
    Run held = run("hold");
    assertEquals(3, held.exit, "holding the workers leaves no room (else the test proves "
        + "nothing):\n" + held.output);
  }

  @Test
  void workersGivenBackWithRoomToSpareStayForReuseThroughAFullCollection() throws Exception {
    Run pooled = run("reuse");
    assertEquals(0, pooled.exit, pooled.output);
    int kept = Math.min(WORKERS, NetworkPool.MAX_IDLE);
    assertTrue(pooled.output.contains("reused " + kept + " of " + WORKERS), pooled.output);
  }

  private record Run(int exit, String output) {}

  private static Run run(String mode) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx400m"));
    String flags = System.getProperty("sparkconv.jvm.flags", "");
    for (String flag : flags.split("\\s+")) {
      if (!flag.isBlank()) {
        command.add(flag);
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        IdleWorkersMemoryTest.class.getName(), mode));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), "child JVM finished");
    return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /**
   * The child: {@code pool} gives the workers back and allocates the next task's memory,
   * {@code hold} keeps them and tries the same, {@code reuse} gives them back, collects, and
   * borrows again (the pool keeps {@link NetworkPool#MAX_IDLE} of them).
   */
  public static void main(String[] args) {
    String spec = SpecJson.write(
        NetworkBuilder.input("idle-memory", 1, 64, 64).flatten().dense(2048).build());
    List<Worker> busy = new ArrayList<>();
    for (int i = 0; i < WORKERS; i++) {
      Worker w = Worker.borrow(spec);
      busy.add(w);
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf("%d workers: %d MB of %d MB heap in use%n", WORKERS,
        (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20);
    switch (args[0]) {
      case "reuse" -> {
        busy.forEach(Worker::release);
        System.gc(); // with room to spare, a collection leaves softly held workers be
        int reused = 0;
        List<Worker> again = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
          Worker w = Worker.borrow(spec);
          reused += busy.contains(w) ? 1 : 0;
          again.add(w);
        }
        System.out.printf("reused %d of %d%n", reused, WORKERS);
      }
      case "pool", "hold" -> {
        if (args[0].equals("pool")) {
          busy.forEach(Worker::release);
          busy.clear();
        }
        try {
          float[] nextTask = new float[NEXT_TASK_MB << 18];
          System.out.printf("next task allocated %d MB (%d idle workers left)%n",
              (long) nextTask.length * Float.BYTES >> 20, NetworkPool.idleCount(spec));
        } catch (OutOfMemoryError e) {
          System.out.println("next task: " + e + "; workers held: " + busy.size());
          System.exit(3);
        }
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }
}
