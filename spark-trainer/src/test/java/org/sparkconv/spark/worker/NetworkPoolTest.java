package org.sparkconv.spark.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.SpecJson;

/** The per-JVM pool: reuse per model, never one worker twice at once, bounded with eviction. */
class NetworkPoolTest {

  static String spec(String name, int units) {
    return SpecJson.write(NetworkBuilder.input(name, 1, 4, 4).flatten().dense(units).build());
  }

  @Test
  void aReleasedWorkerIsReusedForItsModelOnly() {
    String a = spec("pool-a", 3);
    String b = spec("pool-b", 5);
    Worker first = Worker.borrow(a);
    Worker second = Worker.borrow(a);
    assertNotSame(first, second, "two running tasks never share a network");
    first.release();
    assertSame(first, Worker.borrow(a), "the idle worker of the same model is reused");
    Worker other = Worker.borrow(b);
    assertNotSame(first, other);
    assertEquals(5, other.network().outputShape().size(), "a worker of the other model");
    first.release();
    second.release();
    other.release();
  }

  @Test
  void idleWorkersAreBoundedAndTheLeastRecentlyUsedModelIsEvicted() {
    String old = spec("pool-old", 2);
    Worker kept = Worker.borrow(old);
    kept.release();
    assertTrue(NetworkPool.idleCount(old) >= 1);
    String busy = spec("pool-busy", 2);
    List<Worker> many = new ArrayList<>();
    for (int i = 0; i <= NetworkPool.MAX_IDLE; i++) {
      many.add(Worker.borrow(busy));
    }
    many.forEach(Worker::release);
    assertEquals(NetworkPool.MAX_IDLE, NetworkPool.idleCount(), "bounded");
    assertEquals(0, NetworkPool.idleCount(old), "the model used least recently went first");
  }

  @Test
  void countingIdleWorkersDoesNotChangeWhichModelIsEvicted() {
    String queried = spec("pool-queried", 2);
    String later = spec("pool-later", 2);
    Worker.borrow(queried).release();
    Worker.borrow(later).release(); // now the model used most recently
    assertEquals(1, NetworkPool.idleCount(queried), "counted, not used");
    String filling = spec("pool-filling", 2);
    List<Worker> many = new ArrayList<>();
    for (int i = 0; i < NetworkPool.MAX_IDLE - 1; i++) {
      many.add(Worker.borrow(filling));
    }
    many.forEach(Worker::release); // one past the bound once the older models are gone
    assertEquals(1, NetworkPool.idleCount(later), "the model used after it is kept");
    assertEquals(0, NetworkPool.idleCount(queried), "the model used least recently went first");
  }
}
