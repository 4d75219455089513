package org.sparkconv.spark.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.GradientAveraging;
import org.sparkconv.spark.train.SparkTrainer;

/**
 * A real two-epoch Spark run's report: every chart is a PNG that decodes and is not blank, the
 * confusion matrix shows the test counts, and the metrics file has one parsable line per round
 * and per epoch with the figures the run measured.
 */
class TrainingReportTest {

  static SparkTrainer.Result result;
  static Evaluation last;

  @BeforeAll
  static void train() {
    ImageSet data = TestImages.quadrants(512, 8, 31);
    NetworkSpec spec = NetworkBuilder.input("tiny", 1, 8, 8).conv2d(4, 3, 1).relu().maxPool(2)
        .flatten().dense(4).build();
    Network net = Network.build(spec);
    net.initialize(3);
    TrainSettings settings = new TrainSettings(2, 64, 3, OptimizerSpec.sgd(0.05f, 0.9f),
        Schedule.constant(), 0f, Augmentation.NONE, 60);
    result = new SparkTrainer(LocalSpark.get(), new PrintStream(new ByteArrayOutputStream()))
        .fit(net, data, data.head(128), Normalization.of(data), settings,
            new SparkSettings(new GradientAveraging(), 2, 2, 0, 0));
    last = result.history().get(result.history().size() - 1);
  }

  @Test
  void everyChartDecodesAndIsNotBlank() throws IOException {
    String html = TrainingReport.html("tiny <test>", result.record(), last,
        List.of("a", "b", "c", "d"), "summary table", Map.of("epochs", "2"));
    Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(html);
    List<BufferedImage> charts = new ArrayList<>();
    while (m.find()) {
      charts.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))));
    }
    assertEquals(7, charts.size(), "loss and accuracy per epoch, loss per round, lr, images/s,"
        + " time split, per-class accuracy");
    for (BufferedImage chart : charts) {
      assertEquals(Charts.WIDTH, chart.getWidth());
      Set<Integer> colours = new HashSet<>();
      long ink = 0;
      for (int y = 0; y < chart.getHeight(); y += 2) {
        for (int x = 0; x < chart.getWidth(); x += 2) {
          int rgb = chart.getRGB(x, y) & 0xFFFFFF;
          colours.add(rgb);
          ink += rgb == 0xFFFFFF ? 0 : 1;
        }
      }
      assertTrue(colours.size() > 20 && ink > 500, "a chart with " + colours.size()
          + " colours and " + ink + " non-white samples looks blank");
    }
    assertTrue(html.contains("<title>tiny &lt;test&gt;</title>"), "titles are escaped");
    long[][] confusion = last.confusion();
    assertTrue(html.contains(">" + confusion[0][0] + "</td>"), "the confusion counts are shown");
    assertTrue(html.contains("0 a") && html.contains("summary table"), html);
  }

  @Test
  void theMetricsHaveALinePerRoundAndPerEpoch() throws IOException {
    ObjectMapper json = new ObjectMapper();
    int rounds = 0;
    List<JsonNode> epochs = new ArrayList<>();
    for (String line : MetricsLines.of(result.record()).split("\n")) {
      JsonNode o = json.readTree(line);
      if (o.get("type").asText().equals("round")) {
        rounds++;
        assertTrue(o.get("loss").asDouble() > 0 && o.get("lr").asDouble() == 0.05f
            && o.get("round_ms").get("compute").asDouble() > 0
            && o.get("round_ms").has("aggregate/schedule"), line);
      } else {
        epochs.add(o);
      }
    }
    assertEquals(result.rounds(), rounds);
    assertEquals(2, epochs.size());
    assertEquals(last.accuracy(), epochs.get(1).get("test_accuracy").asDouble(), 1e-12);
    assertTrue(epochs.get(1).get("round_ms").get("compute").asDouble() > 0, epochs.toString());
  }
}
