package org.sparkconv.engine.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;

/**
 * What a job's {@code model} names: a spec (JSON), whose network starts from a seeded
 * initialisation, or a model file ({@code .spcv}, known by its magic), whose network starts from
 * its parameters and running statistics: fine-tuning a trained or imported (ONNX) model.
 *
 * @param spec the network
 * @param weights the model file to start from, or null for a fresh initialisation
 */
public record StartingModel(NetworkSpec spec, ModelFile weights) {

  /** The model in {@code bytes} (a spec or a model file); {@code source} names it in errors. */
  public static StartingModel of(byte[] bytes, String source) {
    if (ModelFile.hasMagic(bytes)) {
      ModelFile file = ModelFile.decode(bytes, source);
      return new StartingModel(file.spec(), file);
    }
    return new StartingModel(SpecJson.parse(new String(bytes, StandardCharsets.UTF_8), source),
        null);
  }

  /** The model at {@code path} on this machine's disk. */
  public static StartingModel read(Path path) {
    try {
      return of(Files.readAllBytes(path), path.toString());
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("model " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model " + path + ": " + e, e);
    }
  }

  /** The network to train: the model file's weights, or initialised from {@code seed}. */
  public Network network(long seed) {
    Network net = Network.build(spec);
    if (weights != null) {
      net.load(weights.params(), weights.state());
    } else {
      net.initialize(seed);
    }
    return net;
  }

  /** How training starts, for the log. */
  public String describe() {
    return weights == null ? "initialised from the seed"
        : "starting from the parameters of the model file (fine-tuning)";
  }
}
