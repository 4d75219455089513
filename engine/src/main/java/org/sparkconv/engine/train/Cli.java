package org.sparkconv.engine.train;

import picocli.CommandLine;

/**
 * Runs a picocli command the way every sparkconv entry point does: a user's mistake (a bad
 * setting, a missing file, corrupt data: IllegalArgumentException or IllegalStateException)
 * prints {@code error: <message>} and exits with 2, without a stack trace; anything else is a
 * bug and is thrown with its trace.
 */
public final class Cli {

  private Cli() {}

  public static void run(Object command, String[] args) {
    CommandLine cli = new CommandLine(command);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
        commandLine.getErr().println("error: " + e.getMessage());
        return 2;
      }
      throw e;
    });
    int code = cli.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
