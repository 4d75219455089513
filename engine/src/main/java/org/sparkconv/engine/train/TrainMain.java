package org.sparkconv.engine.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.io.ModelOutput;
import org.sparkconv.engine.io.StartingModel;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Trains a model on one JVM from a job file: {@code TrainMain --job conf/jobs/x.json
 * [--set setting=value ...]}. Prints the model summary, progress, the test evaluation after
 * each epoch and the final report, then writes the model file atomically.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a CNN on one JVM from a job file in conf/jobs/.")
public final class TrainMain implements Callable<Integer> {

  /** Sections of a job file that only the Spark trainer reads; ignored on one JVM. */
  public static final Set<String> SPARK_SECTIONS = Set.of("spark", "checkpoint");

  @Mixin
  JobOptions options = new JobOptions();

  @Override
  public Integer call() throws Exception {
    if (options.listSettings()) {
      System.out.print(SettingHelp.table(SettingHelp.JOB));
      return 0;
    }
    JobConfig config = JobConfig.read(Path.of(options.job()), options.overrides(),
        SPARK_SECTIONS);
    if (!(config.data() instanceof DataSpec.DriverRead data)) {
      throw new IllegalArgumentException(config.source() + ": data.format "
          + config.data().format() + " is read by the Spark trainer's executors: run it with"
          + " scripts/train-local.sh (Spark local mode), not --single-jvm");
    }
    ModelOutput.requireWritableLocal(Path.of(config.output()), options.overwrite());
    StartingModel start = StartingModel.read(Path.of(config.model()));
    NetworkSpec spec = start.spec();
    TrainSettings s = config.train();
    MemoryBudget.requireTrainingFits(spec, s.batchSize(), Trainer.evaluationBatch(s),
        s.optimizer(), ComputeContext.defaults().parallel().threads(),
        Runtime.getRuntime().maxMemory());
    Network net = start.network(config.train().seed());
    System.out.print(net.summary(config.train().batchSize()));

    ImageSet train = data.readTrain();
    ImageSet test = data.readTest();
    if (config.trainLimit() > 0) {
      train = train.head(config.trainLimit());
    }
    if (config.testLimit() > 0) {
      test = test.head(config.testLimit());
    }
    Normalization normalization = config.normalization(train);
    System.out.printf(Locale.ROOT, "data: %d training images from %s, %d test images from %s;"
        + " normalisation %s%n", train.count(), train.source(), test.count(), test.source(),
        normalization);
    System.out.printf(Locale.ROOT, "training: %d epochs, batch %d, seed %d, %s lr %g, schedule"
        + " %s%n", s.epochs(), s.batchSize(), s.seed(), s.optimizer().type(), s.optimizer().lr(),
        s.schedule().type());

    Trainer trainer = new Trainer(net, s, System.out);
    List<Evaluation> history = trainer.fit(train, test, normalization);
    Evaluation last = history.get(history.size() - 1);
    System.out.print(last.report(spec.classNames()));

    ModelFile model = ModelFile.of(net, trainer.optimizer(),
        ModelMetadata.trained(normalization, s.epochs(), last.accuracy()));
    model.save(Path.of(config.output()));
    System.out.println("model written to " + config.output());
    System.out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", 100 * last.accuracy());
    return 0;
  }

  public static void main(String[] args) {
    Cli.run(new TrainMain(), args);
  }
}
