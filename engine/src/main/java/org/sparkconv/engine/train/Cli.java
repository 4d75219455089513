package org.sparkconv.engine.train;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Runs a picocli command the way every sparkconv entry point does: a failure prints one line,
 * {@code error: <message>}, and the exit status says so (2 for a user's mistake: a bad setting,
 * a missing file, corrupt data, a diverged run; 1 for anything else). The stack trace, which for
 * a Spark failure runs to hundreds of frames, is printed only with {@code --verbose}.
 */
public final class Cli {

  private Cli() {}

  /** Runs {@code command} on {@code args} and exits the JVM with its status if not 0. */
  public static void run(Object command, String[] args) {
    int code = execute(command, args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs {@code command} on {@code args} and returns its exit status. */
  public static int execute(Object command, String[] args) {
    return execute(command, args, new PrintWriter(System.err, true));
  }

  /** The same, with errors written to {@code err}. */
  public static int execute(Object command, String[] args, PrintWriter err) {
    CommandLine cli = new CommandLine(command).setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter out = commandLine.getErr();
      out.println("error: " + message(e));
      if (parseResult.hasMatchedOption("--verbose")) {
        e.printStackTrace(out);
      } else {
        out.println("(run with --verbose for the stack trace)");
      }
      out.flush();
      return e instanceof IllegalArgumentException || e instanceof IllegalStateException ? 2 : 1;
    });
    return cli.execute(args);
  }

  /**
   * The message without what is a trace in disguise: Spark puts stack frames and causes into
   * its messages, so lines stop at the first frame or {@code Caused by}, and at 20 lines; the
   * exception's name stands in for a missing message.
   */
  static String message(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    StringBuilder out = new StringBuilder();
    String[] lines = m.split("\n");
    for (int i = 0; i < lines.length && i < 20; i++) {
      String line = lines[i];
      if (line.startsWith("\tat ") || line.trim().startsWith("at ") && line.contains("(")
          || line.startsWith("Caused by") || line.trim().equals("Driver stacktrace:")) {
        break;
      }
      out.append(i == 0 ? "" : "\n").append(line);
    }
    return out.toString().strip();
  }
}
