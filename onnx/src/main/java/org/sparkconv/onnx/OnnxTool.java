package org.sparkconv.onnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sparkconv.engine.io.AtomicFiles;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.NetworkSummary;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.train.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code scripts/onnx.sh export MODEL.spcv OUT.onnx} and
 * {@code scripts/onnx.sh import MODEL.onnx OUT.spcv [--spec-out SPEC.json]}: a trained model to
 * ONNX for any runtime, and an ONNX model (from PyTorch, say) to a sparkconv model file that
 * training, fine-tuning and scoring take. Neither replaces an existing file without
 * {@code --overwrite}; both write atomically.
 */
@Command(name = "onnx.sh", mixinStandardHelpOptions = true, versionProvider = OnnxTool.class,
    subcommands = {OnnxTool.Export.class, OnnxTool.Import.class},
    description = "ONNX export and import of sparkconv models")
public final class OnnxTool implements Runnable, picocli.CommandLine.IVersionProvider {

  public static void main(String[] args) {
    Cli.run(new OnnxTool(), args);
  }

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
        "give a subcommand: export or import");
  }

  @Override
  public String[] getVersion() {
    return new String[] {"sparkconv " + Cli.version()};
  }

  static void requireNew(Path out, boolean overwrite) {
    if (Files.exists(out) && !overwrite) {
      throw new IllegalArgumentException(out + " exists; add --overwrite to replace it");
    }
  }

  /** The options both subcommands take. */
  static final class Common {
    @Option(names = "--overwrite", description = "replace existing outputs")
    boolean overwrite;
    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;
  }

  /** A sparkconv model file to ONNX. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Writes MODEL.spcv as an ONNX model (opset 13, dynamic batch)")
  static final class Export implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.spcv")
    Path model;
    @Parameters(index = "1", paramLabel = "OUT.onnx")
    Path out;
    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
      requireNew(out, common.overwrite);
      ModelFile file = ModelFile.load(model);
      OnnxExport.write(file, out);
      System.out.println("wrote " + out + ": '" + file.spec().name() + "', "
          + file.spec().nodes().size() + " layers, " + file.params().length + " parameters, "
          + (file.metadata().normalization() != null
              ? "input: raw pixels 0-255 (normalised in the graph)"
              : "input: normalised pixels (the model file records no normalisation)"));
      return 0;
    }
  }

  /** An ONNX model to a sparkconv model file. */
  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Writes MODEL.onnx as a sparkconv model file (and its spec)")
  static final class Import implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx")
    Path model;
    @Parameters(index = "1", paramLabel = "OUT.spcv")
    Path out;
    @Option(names = "--spec-out", paramLabel = "SPEC.json",
        description = "also write the model spec as JSON (a file for conf/models/)")
    Path specOut;
    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
      requireNew(out, common.overwrite);
      if (specOut != null) {
        requireNew(specOut, common.overwrite);
      }
      ModelFile file = OnnxImport.read(model);
      file.save(out);
      if (specOut != null) {
        AtomicFiles.write(specOut, SpecJson.write(file.spec()).getBytes(
            java.nio.charset.StandardCharsets.UTF_8));
      }
      System.out.print(NetworkSummary.of(file.spec(), 1, 1));
      System.out.println("wrote " + out + (specOut != null ? " and " + specOut : ""));
      return 0;
    }
  }
}
