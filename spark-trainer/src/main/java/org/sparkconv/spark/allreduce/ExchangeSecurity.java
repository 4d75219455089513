package org.sparkconv.spark.allreduce;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.network.client.TransportClientBootstrap;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.crypto.AuthServerBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.TransportServerBootstrap;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;
import scala.Tuple2;

/**
 * How the exchange's connections are secured, as Spark secures its own block transfers: with
 * {@code spark.authenticate} every connection first proves it holds the application's secret
 * (Spark's AES-based protocol, which also encrypts when {@code spark.network.crypto.enabled},
 * else SASL); without it, nothing at the connection level (the per-task token still guards
 * every message, see {@link PeerExchange}).
 *
 * @param conf the transport settings, read from the Spark configuration
 * @param appId the application id the secret belongs to
 * @param secrets the application's secret, or null when {@code spark.authenticate} is off
 */
public record ExchangeSecurity(TransportConf conf, String appId, SecretKeyHolder secrets) {

  static final String MODULE = "sparkconv";

  /** Open connections (tests, or {@code spark.authenticate} off). */
  public static ExchangeSecurity none() {
    return new ExchangeSecurity(new TransportConf(MODULE, MapConfigProvider.EMPTY), "none",
        null);
  }

  /** As this JVM's Spark configuration and security manager say (driver or executor). */
  public static ExchangeSecurity ofSpark() {
    SparkEnv env = SparkEnv.get();
    SparkConf conf = env.conf();
    boolean authenticate = conf.getBoolean("spark.authenticate", false);
    return new ExchangeSecurity(transportConf(conf), conf.getAppId(),
        authenticate ? env.securityManager() : null);
  }

  /** {@code conf}'s settings as the network layer reads them. */
  public static TransportConf transportConf(SparkConf conf) {
    Map<String, String> entries = new HashMap<>();
    for (Tuple2<String, String> e : conf.getAll()) {
      entries.put(e._1(), e._2());
    }
    return new TransportConf(MODULE, new MapConfigProvider(entries));
  }

  List<TransportServerBootstrap> serverBootstraps() {
    return secrets == null ? List.of() : List.of(new AuthServerBootstrap(conf, secrets));
  }

  List<TransportClientBootstrap> clientBootstraps() {
    return secrets == null ? List.of() : List.of(new AuthClientBootstrap(conf, appId, secrets));
  }
}
