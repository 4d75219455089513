package org.sparkconv.spark.ml;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * A PrintStream whose lines go to a logger at INFO: inside a user's application the trainer's
 * progress and per-round report belong in the log, not on standard output.
 */
final class LogStream extends OutputStream {

  private final Logger logger;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private LogStream(Logger logger) {
    this.logger = logger;
  }

  static PrintStream to(Logger logger) {
    return new PrintStream(new LogStream(logger), true, StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      logger.info(line.toString(StandardCharsets.UTF_8));
      line.reset();
    } else {
      line.write(b);
    }
  }
}
