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
    cli.getCommandSpec().version("sparkconv " + version() + " (Java "
        + System.getProperty("java.version") + ")");
    cli.setParameterExceptionHandler((e, arguments) -> {
      // One line and what to do, not the whole usage: --help has that.
      PrintWriter out = e.getCommandLine().getErr();
      // A mistyped option is the cause of a "missing" one: report it first.
      java.util.List<String> unknown = e.getCommandLine().getUnmatchedArguments();
      CommandLine.ParameterException shown = e instanceof CommandLine.UnmatchedArgumentException
          || unknown.isEmpty() ? e
          : new CommandLine.UnmatchedArgumentException(e.getCommandLine(), unknown);
      out.println("error: " + shown.getMessage());
      if (!unknown.isEmpty() && unknown.get(0).startsWith("-")) {
        String near = nearest(unknown.get(0).split("=")[0],
            e.getCommandLine().getCommandSpec().optionsMap().keySet());
        if (near != null) {
          out.println("did you mean " + near + "?");
        }
      }
      out.println("(--help lists the options)");
      out.flush();
      return 2;
    });
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

  /** The option name within two edits of {@code typed} (the closest), or null. */
  static String nearest(String typed, java.util.Collection<String> names) {
    String best = null;
    int bestDistance = 3;
    for (String name : names) {
      int d = editDistance(typed, name);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Insertions, deletions, substitutions and swaps of neighbours between a and b. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** This build's version, from the jar ("unknown" when run from unpacked classes). */
  public static String version() {
    try (java.io.InputStream in = Cli.class.getResourceAsStream(
        "/org/sparkconv/engine/version.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
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
