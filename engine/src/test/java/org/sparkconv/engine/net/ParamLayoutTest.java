package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Init;

/** Parameter layouts come from the spec alone, before (and without) any allocation. */
class ParamLayoutTest {

  @Test
  void theLayoutOfASpecCountsEveryBlockByHand() {
    NetworkSpec spec = Sequential.input("count", 3, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .add(new ConvTranspose2d.Spec(0, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, Init.HE_NORMAL))
        .flatten().dense(5).batchNorm1d().build();
    ParamLayout layout = ParamLayout.of(spec);
    int conv = 4 * 3 * 3 * 3 + 4;
    int bn = 2 * 4;
    int deconv = 4 * 2 * 2 * 2 + 2;
    int dense = 5 * (2 * 16 * 16) + 5;
    int bn1 = 2 * 5;
    assertEquals(conv + bn + deconv + dense + bn1, layout.paramCount());
    assertEquals(2 * 4 + 2 * 5, layout.stateCount(), "running mean and variance per channel");
    assertEquals(List.of("weight", "bias", "gamma", "beta", "weight", "bias", "weight", "bias",
        "gamma", "beta"), layout.params().stream().map(ParamLayout.Entry::name).toList());
    assertEquals(conv + bn, layout.layerParamOffsets()[3], "the deconvolution's offset");
    Network net = Network.build(spec);
    assertEquals(layout.params(), net.layout().params(), "a built network uses the same blocks");
    assertEquals(layout.stateCount(), net.state().length);
  }

  @Test
  void aModelTooLargeForOneArrayIsRefusedFromTheSpecNamingTheLayer() {
    NetworkSpec huge = Sequential.input("huge", 1, 1000, 1000).flatten().dense(3000)
        .dense(10).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ParamLayout.of(huge));
    assertTrue(e.getMessage().contains("dense") && e.getMessage().contains("3000000000"),
        e.getMessage());
  }
}
