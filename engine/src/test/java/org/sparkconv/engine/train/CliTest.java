package org.sparkconv.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the command line says when it is misused, and what --version prints. */
class CliTest {

  @Test
  void aMistypedOptionIsOneLineWithTheNearestOption() {
    StringWriter err = new StringWriter();
    int code = Cli.execute(new TrainMain(), new String[] {"--jbo", "x.json"},
        new PrintWriter(err, true));
    assertEquals(2, code);
    String[] lines = err.toString().split("\n");
    assertTrue(lines[0].startsWith("error: Unknown option") && lines[0].contains("--jbo"),
        err.toString());
    assertTrue(err.toString().contains("did you mean --job?"), err.toString());
    assertTrue(lines.length <= 3, "no usage dump: " + err);
  }

  @Test
  void versionNamesTheBuild() {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Cli.execute(new TrainMain(), new String[] {"--version"}));
    } finally {
      System.setOut(saved);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.startsWith("sparkconv " + Cli.version() + " (Java ")
        && !Cli.version().equals("unknown") && !Cli.version().contains("${"), printed);
  }
}
